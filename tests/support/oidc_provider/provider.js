// An OpenID Connect provider on loopback for the browser tests of single sign-out:
// panva's oidc-provider (OpenID certified), which keeps a login session of its own
// in a cookie, so a test can tell a provider session that ended from one that lives.
//
//   node provider.js --port 0 --client-id ID --client-secret SECRET \
//       --client-base http://127.0.0.1:8000 --login olga --password PW \
//       --email olga@example.org --name "Olga Example"
//
// It prints its issuer (http://127.0.0.1:<port>) as the first line on stdout once
// it answers. One client (code flow, PKCE S256 required, client_secret_post as
// mozilla-django-oidc sends it), one account, a login form that asks for the
// password, and RP-initiated logout whose confirmation page has the button
// "Yes, sign me out". Nothing leaves loopback; everything is kept in memory.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'client-base': { type: 'string' },
    login: { type: 'string' },
    password: { type: 'string' },
    sub: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string', default: '' },
  },
});
for (const required of ['client-id', 'client-secret', 'client-base', 'login', 'password', 'email']) {
  if (!options[required]) {
    process.stderr.write(`provider: --${required} is required\n`);
    process.exit(2);
  }
}

const account = {
  login: options.login,
  password: options.password,
  sub: options.sub || options.login,
  claims: { email: options.email, email_verified: true, name: options.name },
};

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

function loginForm(uid, failed) {
  return page('Sign in at the identity provider', `
    ${failed ? '<p role="alert">Wrong login or password.</p>' : ''}
    <form method="post" action="/interaction/${escapeHtml(uid)}/login">
      <label>Login <input name="login" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

// The listener comes first: the issuer carries the port it was given.
const server = createServer();
await new Promise((resolve) => server.listen(Number(options.port), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const clientBase = options['client-base'].replace(/\/+$/, '');
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options['client-id'],
      client_secret: options['client-secret'],
      redirect_uris: [`${clientBase}/sso/callback/`],
      post_logout_redirect_uris: [`${clientBase}/`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Sign out at the identity provider', `${form}
          <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          <button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out', '<p>You are signed out at the identity provider.</p>');
      },
    },
  },
  findAccount: async (_ctx, id) => {
    if (id !== account.sub) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Error at the identity provider', `<pre>${escapeHtml(JSON.stringify(out))}</pre>`);
  },
});

// The scopes the client asked for, granted once the account has signed in (no
// consent page: the client is the organisation's own).
async function grantFor(details) {
  const { prompt, params, session, grantId } = details;
  const accountId = session?.accountId ?? details.result?.login?.accountId;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  const missing = prompt.details.missingOIDCScope;
  grant.addOIDCScope(missing ? missing.join(' ') : String(params.scope));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  return grant.save();
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Error', '<p>Unknown sign-in.</p>'));
  if (details.prompt.name === 'login') {
    if (req.method === 'GET' && !action) return send(res, 200, loginForm(uid, false));
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      if (form.get('login') !== account.login || form.get('password') !== account.password) {
        return send(res, 200, loginForm(uid, true));
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, {
        mergeWithLastSubmission: false,
      });
    }
  }
  if (details.prompt.name === 'consent') {
    const grantId = await grantFor(details);
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  return send(res, 400, page('Error', '<p>Unexpected step.</p>'));
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(req.url.split('?')[0]);
  if (!match) return callback(req, res);
  return interaction(req, res, match[1], match[2]).catch((error) => {
    process.stderr.write(`provider: ${error}\n`);
    if (!res.headersSent) send(res, 400, page('Error', '<p>The sign-in cannot go on.</p>'));
  });
});

process.stdout.write(`${issuer}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
