// In-process reader-writer lock per key: `shared` calls of one key run side by side, an
// `exclusive` call runs alone. Writers are preferred: once one waits, new readers queue behind it,
// so a stream of fetches never starves a `worktree add`. Keys never wait for each other.

interface Waiter {
  exclusive: boolean;
  wake: () => void;
}

interface KeyState {
  readers: number;
  writer: boolean;
  queue: Waiter[];
}

export class KeyedRwLock {
  private readonly keys = new Map<string, KeyState>();

  shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.run(key, false, fn);
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.run(key, true, fn);
  }

  private async run<T>(key: string, exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    const state = this.stateOf(key);
    if (!canEnter(state, exclusive)) await new Promise<void>((wake) => state.queue.push({ exclusive, wake }));
    else enter(state, exclusive);
    try {
      return await fn();
    } finally {
      if (exclusive) state.writer = false;
      else state.readers--;
      this.admit(key, state);
    }
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { readers: 0, writer: false, queue: [] }));
    return state;
  }

  /** Lets in the queue's head, and every reader right behind it; forgets an idle key. */
  private admit(key: string, state: KeyState): void {
    while (state.queue.length > 0 && canEnterInTurn(state, state.queue[0]!.exclusive)) {
      const next = state.queue.shift()!;
      enter(state, next.exclusive);
      next.wake();
    }
    if (state.readers === 0 && !state.writer && state.queue.length === 0) this.keys.delete(key);
  }
}

/** A newcomer: no writer inside, and nobody queued ahead (so a waiting writer goes first). */
function canEnter(state: KeyState, exclusive: boolean): boolean {
  return state.queue.length === 0 && canEnterInTurn(state, exclusive);
}

function canEnterInTurn(state: KeyState, exclusive: boolean): boolean {
  return exclusive ? !state.writer && state.readers === 0 : !state.writer;
}

function enter(state: KeyState, exclusive: boolean): void {
  if (exclusive) state.writer = true;
  else state.readers++;
}
