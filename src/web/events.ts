export type LiveEvent = { type: 'runs'; monitors: string[] };
type Listener = (event: LiveEvent | 'closed') => void;

export type EventHub = {
  publish(event: LiveEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void;
  /** Tells every subscriber to finish (server shutdown) and refuses new ones. */
  close(): void;
  readonly size: number;
};

/** In-process fan-out from the writer to live pages (server-sent events) and caches. */
export function createEventHub(): EventHub {
  const listeners = new Set<Listener>();
  let closed = false;
  return {
    publish(event) {
      for (const l of listeners) l(event);
    },
    subscribe(listener) {
      if (closed) {
        queueMicrotask(() => listener('closed'));
        return () => {};
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      for (const l of listeners) l('closed');
      listeners.clear();
    },
    get size() {
      return listeners.size;
    },
  };
}
