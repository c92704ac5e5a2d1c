import { HttpStatus, Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InvalidClientMetadataError, InvalidRequestError, type OAuthError } from '../../errors/oauth.errors.js';
import { headerTarget } from '../../http/node-response.js';
import { type ModuleRequest, requestPath, routeKey } from '../../http/node-request.js';

/** The endpoints whose bodies are parsed before they run (form or JSON). */
const OAUTH_BODY_PATHS = new Set([
  '/oauth/token',
  '/token',
  '/oauth/register',
  '/register',
  '/oauth/revoke',
  '/oauth/consent',
  '/oauth/apps/revoke',
  '/oauth/connected-apps/revoke',
]);

interface ParseFailure {
  /** body-parser (Express) */
  type?: unknown;
  /** Fastify content-type parser errors */
  code?: unknown;
  status?: number;
  statusCode?: number;
}

/** A body-parser (Express) or content-type parser (Fastify) failure, as the OAuth error of its endpoint. */
function asOAuthError(err: unknown, req: ModuleRequest, res: unknown): OAuthError | undefined {
  const path = routeKey(requestPath(req));
  if (!OAUTH_BODY_PATHS.has(path)) return undefined;
  const failure = (err ?? {}) as ParseFailure;
  const parseError =
    typeof failure.type === 'string' || (typeof failure.code === 'string' && failure.code.startsWith('FST_ERR_CTP_')) || err instanceof SyntaxError;
  if (!parseError) return undefined;
  const tooLarge = (failure.status ?? failure.statusCode) === HttpStatus.PAYLOAD_TOO_LARGE;
  const description = tooLarge ? 'The request body is too large' : 'The request body cannot be parsed';
  if (path !== '/oauth/consent') headerTarget(res).setHeader('Access-Control-Allow-Origin', '*');
  return path.endsWith('register') ? new InvalidClientMetadataError(description) : new InvalidRequestError(description);
}

type FastifyErrorHandler = (this: unknown, err: unknown, req: ModuleRequest, reply: unknown) => unknown;
interface FastifyInstanceLike {
  errorHandler: FastifyErrorHandler;
  setErrorHandler(handler: FastifyErrorHandler): unknown;
}

/**
 * Body-parse failures happen before any route runs, so the OAuth endpoints never see them. On the
 * module's body-carrying endpoints (matched as the router matches: any case, trailing slash) they are
 * turned into the endpoint's OAuth error and handed to Nest's exception layer, where
 * OAuthExceptionFilter answers them like any other. Every other error and path goes on unchanged.
 */
@Injectable()
export class OAuthBodyErrorHandler implements OnModuleInit, OnApplicationBootstrap {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Express: an error middleware before Nest's own (which is added after the init hooks). */
  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    adapter.getInstance().use((err: unknown, req: ModuleRequest, res: unknown, next: (err: unknown) => void) => next(asOAuthError(err, req, res) ?? err));
  }

  /** Fastify: wraps the error handler Nest installed (during init) with the same conversion. */
  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const instance = adapter.getInstance<FastifyInstanceLike>();
    const nestHandler = instance.errorHandler;
    instance.setErrorHandler(function (this: unknown, err, req, reply) {
      return nestHandler.call(this, asOAuthError(err, req, reply) ?? err, req, reply);
    });
  }
}
