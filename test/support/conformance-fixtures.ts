import { completable, McpServer, ResourceTemplate, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

/**
 * The tools, resources and prompts the @modelcontextprotocol/conformance server scenarios call by
 * name, with the results their descriptions require; registered on the example's own server (next to
 * whoami/echo/…) so the scenarios run through the guard. Only what a stateless server can serve.
 */

/** A 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** 0.01 s of 8 kHz mono silence as WAV. */
const WAV = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x44, 0, 0, 0]),
  Buffer.from('WAVEfmt '),
  Buffer.from([16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x40, 0x1f, 0, 0, 1, 0, 8, 0]),
  Buffer.from('data'),
  Buffer.from([80, 0, 0, 0]),
  Buffer.alloc(80, 128),
]).toString('base64');

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

async function log(ctx: ServerContext, data: string): Promise<void> {
  await ctx.mcpReq.log('info', data);
}

export function registerConformanceFixtures(server: McpServer): void {
  server.server.registerCapabilities({ logging: {}, completions: {}, resources: {}, prompts: {} });

  server.registerTool('test_simple_text', { description: 'Simple text' }, () => text('This is a simple text response for testing.'));
  server.registerTool('test_image_content', { description: 'Image content' }, () => ({
    content: [{ type: 'image' as const, data: PNG, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Audio content' }, () => ({
    content: [{ type: 'audio' as const, data: WAV, mimeType: 'audio/wav' }],
  }));
  server.registerTool('test_embedded_resource', { description: 'Embedded resource' }, () => ({
    content: [
      { type: 'resource' as const, resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } },
    ],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Mixed content' }, () => ({
    content: [
      { type: 'text' as const, text: 'Multiple content types test:' },
      { type: 'image' as const, data: PNG, mimeType: 'image/png' },
      { type: 'resource' as const, resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } },
    ],
  }));
  server.registerTool('test_tool_with_logging', { description: 'Logs while it runs' }, async (ctx) => {
    await log(ctx, 'Tool execution started');
    await pause(50);
    await log(ctx, 'Tool processing data');
    await pause(50);
    await log(ctx, 'Tool execution completed');
    return text('Tool with logging executed successfully');
  });
  server.registerTool('test_error_handling', { description: 'Always fails' }, () => ({
    isError: true,
    content: [{ type: 'text' as const, text: 'This tool intentionally returns an error for testing' }],
  }));
  server.registerTool('test_tool_with_progress', { description: 'Reports progress' }, async (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progressToken !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
      if (progress < 100) await pause(50);
    }
    return text('Tool with progress executed successfully');
  });
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: z
        .object({ name: z.string().optional(), address: z.object({ street: z.string().optional(), city: z.string().optional() }).optional() })
        .strict()
        .meta({
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
        }),
    },
    () => text('ok'),
  );

  server.registerResource('static-text', 'test://static-text', { description: 'Static text', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  server.registerResource('static-binary', 'test://static-binary', { description: 'Static binary', mimeType: 'image/png' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }],
  }));
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Template', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }],
    }),
  );

  server.registerPrompt('test_simple_prompt', { description: 'Simple prompt' }, () => ({
    messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'Prompt with arguments',
      argsSchema: z.object({ arg1: completable(z.string(), (value) => ['test-a', 'test-b'].filter((v) => v.startsWith(value))), arg2: z.string() }),
    },
    ({ arg1, arg2 }) => ({
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'Prompt with a resource', argsSchema: z.object({ resourceUri: z.string() }) },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user' as const,
          content: { type: 'resource' as const, resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } },
        },
        { role: 'user' as const, content: { type: 'text' as const, text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'Prompt with an image' }, () => ({
    messages: [
      { role: 'user' as const, content: { type: 'image' as const, data: PNG, mimeType: 'image/png' } },
      { role: 'user' as const, content: { type: 'text' as const, text: 'Please analyze the image above.' } },
    ],
  }));
}
