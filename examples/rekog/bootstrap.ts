import type { INestApplication } from '@nestjs/common';
import { type ExampleServerOptions, startServer } from '../basic/bootstrap.js';
import { createRekogMcp, RekogAppModule } from './app.module.js';

/**
 * Starts the @rekog/mcp-nest example like `startExampleServer` (same environment variables): the
 * MCP strategy is connected as a microservice and started before the HTTP server listens.
 */
export function startRekogExampleServer(options: ExampleServerOptions = {}): Promise<INestApplication> {
  const mcp = createRekogMcp(options.logger !== false);
  return startServer(
    {
      module: RekogAppModule.register(mcp, options.env),
      health: false,
      title: 'nestjs-oauth-mcp @rekog/mcp-nest example',
      beforeListen: async (app) => {
        app.connectMicroservice({ strategy: mcp.strategy });
        await app.startAllMicroservices();
      },
    },
    options,
  );
}
