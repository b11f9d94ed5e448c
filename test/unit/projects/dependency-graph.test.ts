import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyOrder, findCycle, unknownDependencies, type GraphNode } from "../../../src/projects/dependency-graph.ts";

const p = (name: string, ...depends_on: string[]): GraphNode => ({ name, depends_on });

describe("applyOrder", () => {
  test("independent projects form one wave in the order given", () => {
    assert.deepEqual(applyOrder([p("c"), p("a"), p("b")]), [["c", "a", "b"]]);
  });

  test("staging before production, and a diamond in three waves", () => {
    assert.deepEqual(applyOrder([p("prod", "staging"), p("staging")]), [["staging"], ["prod"]]);
    const diamond = [p("app", "db", "network"), p("db", "network"), p("cache", "network"), p("network")];
    assert.deepEqual(applyOrder(diamond), [["network"], ["db", "cache"], ["app"]]);
  });

  test("dependencies outside the given set are not added", () => {
    assert.deepEqual(applyOrder([p("prod", "staging")]), [["prod"]]);
  });

  test("with the whole config as `all`, order holds through projects not given", () => {
    const all = [p("a", "b"), p("b", "c"), p("c")];
    assert.deepEqual(applyOrder([p("a", "b"), p("c")], all), [["c"], ["a"]]);
    // Without `all`, a's dependency on c (through b) is invisible.
    assert.deepEqual(applyOrder([p("a", "b"), p("c")]), [["a", "c"]]);
  });

  test("an empty set has no waves", () => {
    assert.deepEqual(applyOrder([]), []);
  });

  test("a cycle (impossible in a validated config) throws a coded error", () => {
    assert.throws(() => applyOrder([p("a", "b"), p("b", "a")]), { code: "dependency_cycle" });
  });
});

describe("findCycle", () => {
  test("no cycle in a DAG, including unknown names", () => {
    assert.equal(findCycle([p("a", "b"), p("b", "c"), p("c"), p("d", "a", "c", "ghost")]), undefined);
  });

  test("names the cycle as a closed walk", () => {
    assert.deepEqual(findCycle([p("x"), p("a", "b"), p("b", "c"), p("c", "a")]), ["a", "b", "c", "a"]);
    assert.deepEqual(findCycle([p("a", "a")]), ["a", "a"]);
    assert.deepEqual(findCycle([p("a", "b"), p("b", "c"), p("c", "b")]), ["b", "c", "b"]);
  });

  test("a 10,000-project chain does not overflow the stack", () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => p(`p${i}`, ...(i > 0 ? [`p${i - 1}`] : [])));
    assert.equal(findCycle(chain), undefined);
    chain[0] = p("p0", "p9999");
    assert.equal(findCycle(chain)?.length, 10_001);
  });
});

describe("unknownDependencies", () => {
  test("reports each unknown name with its project and entry index", () => {
    assert.deepEqual(unknownDependencies([p("a", "b", "nope"), p("b"), p("c", "zzz")]), [
      { project: 0, entry: 1, name: "nope" },
      { project: 2, entry: 0, name: "zzz" },
    ]);
    assert.deepEqual(unknownDependencies([p("a", "b"), p("b")]), []);
  });
});
