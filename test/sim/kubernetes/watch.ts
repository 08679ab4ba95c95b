import type { IncomingMessage, ServerResponse } from 'node:http';
import { objectFilter, type ListOptions } from './rest.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { statusBody } from './status.js';
import type { KubeObject, ObjectStore, StoreEvent } from './store.js';

export interface WatchRequest extends ListOptions {
  type: ResourceType;
  version: string;
  namespace?: string;
  resourceVersion?: string | null;
  timeoutSeconds?: number;
}

/**
 * A watch: newline-delimited JSON events ({type, object}) on a chunked 200 response. Without a
 * resourceVersion (or "0") it starts with ADDED for every current object; with one it replays what
 * happened since, or sends an ERROR event with 410 Expired when that is older than the history.
 * An object that stops or starts matching the selectors is DELETED or ADDED for this watch.
 */
export function serveWatch(store: ObjectStore, w: WatchRequest, req: IncomingMessage, res: ServerResponse): void {
  const filter = objectFilter(w);
  const inScope = (o: KubeObject) => !w.namespace || o.metadata.namespace === w.namespace;
  const render = (o: KubeObject) => ({ ...o, apiVersion: apiVersionOf(w.type, w.version) });
  const send = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);

  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
  res.flushHeaders();

  const rv = w.resourceVersion && w.resourceVersion !== '0' ? Number(w.resourceVersion) : undefined;
  if (rv !== undefined && rv < store.oldestWatchable) {
    send('ERROR', statusBody(410, 'Expired', `too old resource version: ${rv} (${store.oldestWatchable})`));
    res.end();
    return;
  }

  // Whether each object matched the selectors when last seen, so a change of labels reads as ADDED/DELETED.
  const matched = new Map<string, boolean>();
  const deliver = (e: Pick<StoreEvent, 'type' | 'object'>) => {
    if (!inScope(e.object)) return;
    const uid = e.object.metadata.uid as string;
    const before = matched.get(uid);
    const now = filter(e.object);
    if (e.type === 'DELETED') {
      matched.delete(uid);
      if (before ?? now) send('DELETED', render(e.object));
      return;
    }
    matched.set(uid, now);
    if (now) send(e.type === 'ADDED' || before === false ? 'ADDED' : 'MODIFIED', render(e.object));
    else if (before) send('DELETED', render(e.object));
  };

  if (rv === undefined) for (const o of store.list(w.type.resource, w.namespace)) deliver({ type: 'ADDED', object: o });
  else for (const e of store.since(w.type.resource, rv)) deliver(e);
  const unsubscribe = store.subscribe((e) => {
    if (e.resource === w.type.resource) deliver(e);
  });
  const timer = w.timeoutSeconds ? setTimeout(() => res.end(), w.timeoutSeconds * 1000) : undefined;
  req.socket.on('close', () => {
    unsubscribe();
    clearTimeout(timer);
  });
  res.on('close', () => {
    unsubscribe();
    clearTimeout(timer);
  });
}
