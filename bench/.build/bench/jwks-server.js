import { createServer } from 'node:http';
/** Loopback IdP stand-in serving a JWKS (same pattern as test/support/jwks-server.ts); counts fetches. */
export class BenchJwksServer {
    keys = [];
    fetches = 0;
    url = '';
    server;
    async start() {
        this.server = createServer((req, res) => {
            if (req.url === '/jwks.json') {
                this.fetches++;
                res.setHeader('content-type', 'application/json');
                res.end(JSON.stringify({ keys: this.keys }));
                return;
            }
            res.statusCode = 404;
            res.end();
        });
        await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
        this.url = `http://127.0.0.1:${this.server.address().port}`;
        return this;
    }
    get jwksUri() {
        return `${this.url}/jwks.json`;
    }
    async stop() {
        this.server?.closeAllConnections();
        await new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }
}
