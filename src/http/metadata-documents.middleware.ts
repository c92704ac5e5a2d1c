import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveMetadata } from './metadata-response.js';
import { requestPath, routeKey } from './node-request.js';
import { OAuthErrorResponder } from './oauth-error.responder.js';

/**
 * Serves fixed public JSON documents at exact paths. Middleware rather than a controller: the paths
 * come from the configuration (the MCP endpoint's path is part of the metadata URLs), and wildcard
 * routes are read differently by Express and Fastify.
 */
@Injectable()
export abstract class MetadataDocumentsMiddleware implements NestMiddleware {
  private documents?: ReadonlyMap<string, () => string>;

  constructor(private readonly responder: OAuthErrorResponder) {}

  /** Path → JSON body. */
  protected abstract build(): Map<string, () => string>;

  /** The exact paths served, for `forRoutes()`. */
  paths(): string[] {
    return [...this.map().keys()];
  }

  use(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void {
    const body = this.map().get(routeKey(requestPath(req)));
    if (!body) return next();
    try {
      serveMetadata(req, res, body());
    } catch (err) {
      this.responder.send(res, err);
    }
  }

  private map(): ReadonlyMap<string, () => string> {
    this.documents ??= new Map([...this.build()].map(([path, body]) => [routeKey(path), body]));
    return this.documents;
  }
}
