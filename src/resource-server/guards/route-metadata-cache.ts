import type { ExecutionContext, Type } from '@nestjs/common';

type Handler = ReturnType<ExecutionContext['getHandler']>;

/**
 * Metadata derived once per route. Keyed by controller class and handler together: a handler
 * inherited by two controllers (a base MCP controller) carries each subclass's own class metadata.
 */
export class RouteMetadataCache<T> {
  private readonly byClass = new WeakMap<Type<unknown>, WeakMap<Handler, T>>();

  get(context: ExecutionContext, derive: (targets: [Type<unknown>, Handler]) => T): T {
    const cls = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byClass.get(cls);
    if (!byHandler) this.byClass.set(cls, (byHandler = new WeakMap()));
    let value = byHandler.get(handler);
    if (value === undefined) {
      value = derive([cls, handler]);
      byHandler.set(handler, value);
    }
    return value;
  }
}
