function callSafely(done, key) {
    try {
        done(null, key);
    }
    catch (err) {
        done(err);
    }
}
/** passport-jwt options shared by every provider: exact issuer(s), audience(s), algorithm allowlist. */
export function jwtStrategyOptions(config, resolveKey) {
    return {
        jwtFromRequest: (req) => req.token,
        secretOrKeyProvider: (req, _raw, done) => {
            // `done` runs jsonwebtoken synchronously; calling it outside the promise chain keeps a throw in
            // there from becoming an unhandled rejection (it fails the request instead).
            resolveKey(req.header).then((key) => setImmediate(() => callSafely(done, key)), (err) => setImmediate(() => done(err)));
        },
        algorithms: config.algorithms,
        issuer: config.issuers.length > 0 ? [...config.issuers] : undefined,
        audience: config.audiences.length === 1 ? config.audiences[0] : [...config.audiences],
        ignoreExpiration: false,
        jsonWebTokenOptions: { clockTolerance: config.clockSkewSeconds },
    };
}
