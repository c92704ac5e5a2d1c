import type { INestApplication } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** The HTTP adapters the module supports; every fixture can run on either. */
export type AdapterName = 'express' | 'fastify';

/** Creates the Nest application of a compiled testing module on the chosen adapter (logging off). */
export function createApp(moduleRef: TestingModule, adapter: AdapterName = 'express'): INestApplication {
  return adapter === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false }) : moduleRef.createNestApplication({ logger: false });
}
