import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every response, API, metrics and errors included (@fastify/helmet, a
 * kept plugin, rather than our own onSend hook). Everything is served from here: no CDN, no
 * inline script (JSMpeg decodes in plain JS). Inline styles are allowed because the JSMpeg
 * player sets style attributes on its canvas. HSTS only when the server speaks HTTPS: over
 * plain HTTP on loopback (the demo) it would pin a scheme the box does not serve.
 */
export async function registerSecurityHeaders(app: FastifyInstance, o: { https: boolean }): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        ...(o.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // One year (RFC 6797 6.1.1); no includeSubDomains: the box is addressed by IP or a local name.
    hsts: o.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
  });
}
