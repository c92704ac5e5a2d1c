import 'reflect-metadata';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { CurrentUser } from './current-user.decorator.js';

type Factory = (data: unknown, ctx: ExecutionContextHost) => unknown;

/** The factory behind a parameter decorator, as Nest calls it. */
function factoryOf(decorator: (...args: any[]) => ParameterDecorator): Factory {
  class Target {
    handler(@decorator() _value: unknown) {}
  }
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Target, 'handler') as Record<string, { factory: Factory }>;
  return Object.values(args)[0].factory;
}

describe('@CurrentUser()', () => {
  const factory = factoryOf(CurrentUser);
  const user = { sub: 'alice', email: 'alice@example.com', scopes: ['mcp:read'] };

  it('HTTP: req.user, or one field of it', () => {
    const ctx = new ExecutionContextHost([{ user }, {}]);
    expect(factory(undefined, ctx)).toBe(user);
    expect(factory('email', ctx)).toBe('alice@example.com');
  });

  it('RPC (@rekog/mcp-nest tools): the user of the HTTP request the context carries, never the payload', () => {
    const payload = { user: { sub: 'mallory' } };
    const ctx = new ExecutionContextHost([payload, { getRawRequest: () => ({ user }) }]);
    ctx.setType('rpc');
    expect(factory(undefined, ctx)).toBe(user);
    expect(factory('sub', ctx)).toBe('alice');
  });

  it('RPC without a request (stdio) or with another kind of context: undefined', () => {
    const stdio = new ExecutionContextHost([{ user: { sub: 'mallory' } }, { getRawRequest: () => undefined }]);
    stdio.setType('rpc');
    expect(factory(undefined, stdio)).toBeUndefined();
    const other = new ExecutionContextHost([{ user: { sub: 'mallory' } }, { pattern: 'x' }]);
    other.setType('rpc');
    expect(factory('sub', other)).toBeUndefined();
  });
});
