// A real OpenID provider (panva's oidc-provider, OpenID Certified) on a
// loopback port, for the external-IdP integration tests. It is not a fake:
// discovery, the JWKS and the client_credentials grant with resource
// indicators (JWT access tokens, RFC 9068) are the library's own.
//
// Environment:
//   PORT          port to listen on (0 or unset: any free port)
//   SIGNING_KEYS  comma-separated PKCS#8 PEM files; the first key of each
//                 algorithm signs, all are published; kid = file name stem
//   TLS_CERT, TLS_KEY  serve HTTPS with this certificate (PEM) instead of HTTP
//
// Prints one line `issuer <url>` on stdout once it accepts connections.
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { basename, extname } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import Provider, { errors } from 'oidc-provider';

const keyFiles = (process.env.SIGNING_KEYS ?? '').split(',').filter(Boolean);
if (keyFiles.length === 0) {
  console.error('SIGNING_KEYS is required');
  process.exit(2);
}
const keys = keyFiles.map((file) => ({
  ...createPrivateKey(readFileSync(file)).export({ format: 'jwk' }),
  kid: basename(file, extname(file)),
  use: 'sig',
}));

const tls = process.env.TLS_CERT && process.env.TLS_KEY
  ? { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) }
  : undefined;
const server = tls ? https.createServer(tls) : http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;

// The API the tests guard (example-resource), and another one whose tokens
// it must refuse.
const RESOURCES = {
  'https://reports.example.test': 'reports.read reports.write',
  'https://other.example.test': 'reports.read',
};
// What each test client is, in the provider's own terms: groups and
// Keycloak-style realm/client roles, mapped by the resource server.
const CLIENTS = {
  'reports-editor': {
    groups: ['/acme/editors', '/acme/unmapped'],
    realm_access: { roles: ['offline_access'] },
    resource_access: { 'reports-api': { roles: ['writer'] }, 'billing-api': { roles: ['admin'] } },
  },
  'reports-admin': { groups: ['/acme/admins'] },
  'reports-nobody': { groups: ['/acme/unmapped'] },
};

const SIGNING_ALG = process.env.SIGNING_ALG ?? 'ES256';
const provider = new Provider(issuer, {
  clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
  clients: Object.keys(CLIENTS).map((client_id) => ({
    client_id,
    client_secret: `${client_id}-secret`,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'reports.read reports.write',
  })),
  jwks: { keys },
  scopes: ['openid', 'reports.read', 'reports.write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        const scope = RESOURCES[resourceIndicator];
        if (!scope) throw new errors.InvalidTarget();
        return {
          scope,
          audience: resourceIndicator,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: SIGNING_ALG } },
        };
      },
    },
  },
  extraTokenClaims: (ctx, token) => CLIENTS[token.clientId],
});
provider.on('server_error', (ctx, error) => console.error('server_error', error));
server.on('request', provider.callback());
console.log(`issuer ${issuer}`);
