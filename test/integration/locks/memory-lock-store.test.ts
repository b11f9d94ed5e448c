import { MemoryLockStore } from "../../../src/locks/memory-lock-store.ts";
import { runLockStoreContract } from "./lock-store-contract.ts";

runLockStoreContract("memory", async () => {
  const store = new MemoryLockStore();
  // One process has one memory: every handle is the same store.
  return { store, another: () => store, async cleanup() {} };
});
