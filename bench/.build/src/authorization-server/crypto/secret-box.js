import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
/**
 * AES-256-GCM with a key derived from `JWT_SECRET` by HKDF-SHA256 and a purpose label, so one secret
 * yields independent keys (upstream tokens, signing keys at rest). Sealed values carry a version tag.
 */
export class SecretBox {
    key;
    constructor(secret, purpose) {
        this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'nestjs-oauth-mcp', purpose, 32));
    }
    seal(value) {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', this.key, iv);
        const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
        return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    }
    /** The value, or undefined when the box was sealed with another key or tampered with. */
    open(sealed) {
        const [version, iv, body, tag] = sealed.split('.');
        if (version !== 'v1' || !iv || !body || !tag)
            return undefined;
        try {
            const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
            decipher.setAuthTag(Buffer.from(tag, 'base64url'));
            const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
            return JSON.parse(text);
        }
        catch {
            return undefined;
        }
    }
}
