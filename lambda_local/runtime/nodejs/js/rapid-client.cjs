/*
 * Preloaded (node --require) before AWS's runtime interface client (aws-lambda-ric, Apache-2.0).
 *
 * The client talks to the Lambda Runtime API through a native addon (rapid-client.node, built from C++ with
 * node-gyp at `npm install`). This file stands in for that addon with the same three calls over node:http, so the
 * client's JavaScript runs unchanged on any machine with Node.js and no compiler. It also makes packages in
 * layers and in the runtime's own node_modules importable from ES modules, as Lambda's Node.js runtimes do
 * (Node.js reads NODE_PATH for require() only).
 */
'use strict';

const http = require('node:http');
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ADDON = path.join(__dirname, 'rapid-client.node');  // never on disk: resolved and loaded here
const [hostname, port] = (process.env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001').split(':');
// Two connections, each keeping its requests in order: answers (posts) on one, GET /next on the other, so the
// client asks for the next event as soon as it has sent an answer, without waiting for the answer's 202.
const nextAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const postAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, route, body, headers) {
  const agent = method === 'GET' ? nextAgent : postAgent;
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, method, agent, headers, path: '/2018-06-01/runtime/' + route },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      });
    request.setNoDelay(true);
    request.on('error', reject);
    request.end(body);
  });
}

// The addon posts synchronously, so the client may call process.exit() right after error() (an unhandled promise
// rejection does). Here posts are asynchronous: exit waits until the ones in flight have been sent.
const inFlight = new Set();
const exit = process.exit.bind(process);
process.exit = function (code) {
  if (inFlight.size === 0) return exit(code);
  Promise.allSettled([...inFlight]).then(() => exit(code));
};

function post(route, body, headers) {
  const sent = call('POST', route, body, headers).catch(lost);
  inFlight.add(sent);
  sent.finally(() => inFlight.delete(sent));
}

function lost(error) {
  // The Runtime API went away (the environment is being shut down): nothing left to report to.
  process.stderr.write(`lambda-local: lost the Runtime API: ${error && error.message}\n`);
  process.exit(1);
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

const rapidClient = {
  /** GET invocation/next: resolves to {bodyJson, headers} as the addon's Next() does. */
  async next() {
    const { headers, body } = await call('GET', 'invocation/next').catch(lost);
    if (headers['lambda-runtime-deadline-ms'] !== undefined) {
      headers['lambda-runtime-deadline-ms'] = Number(headers['lambda-runtime-deadline-ms']);
    }
    return { bodyJson: body, headers };
  },
  /** POST invocation/{id}/response (the id comes URI-encoded). */
  done(id, body) {
    post(`invocation/${id}/response`, body, JSON_TYPE);
  },
  /** POST invocation/{id}/error with the error type header, as aws-lambda-cpp posts it. */
  error(id, body, xray) {
    let type = 'Runtime.Unknown';
    try { type = JSON.parse(body).errorType || type; } catch { /* keep the default */ }
    const headers = { ...JSON_TYPE, 'Lambda-Runtime-Function-Error-Type': type };
    if (xray) headers['Lambda-Runtime-Function-XRay-Error-Cause'] = xray;
    post(`invocation/${id}/error`, body, headers);
  },
  initializeClient() {},
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request.endsWith('rapid-client.node') ? ADDON : resolveFilename.call(this, request, ...rest);
};
const loadAddon = Module._extensions['.node'];
Module._extensions['.node'] = function (module, filename) {
  if (filename === ADDON) {
    module.exports = rapidClient;
    return;
  }
  return loadAddon(module, filename);
};

// The file AWS's client loads for _HANDLER ("dir/file.fn": the module is up to the first dot of the last path
// segment), in its order: no extension, .js, .mjs, .cjs; and whether it is an ES module (.mjs, or .js under
// "type": "module").
function handlerFile() {
  const fs = require('node:fs');
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const handler = process.env._HANDLER || '';
  const name = path.basename(handler);
  const match = name.match(/^([^.]*)\.(.*)$/);
  if (!match) return null;
  const base = path.resolve(root, handler.slice(0, handler.length - name.length), match[1]);
  const isFile = (file) => { try { return fs.statSync(file).isFile(); } catch { return false; } };
  if (isFile(base)) return { file: base, module: false };
  if (isFile(base + '.js')) return { file: base + '.js', module: typeModule(fs, path.dirname(base)) };
  if (isFile(base + '.mjs')) return { file: base + '.mjs', module: true };
  if (isFile(base + '.cjs')) return { file: base + '.cjs', module: false };
  return null;
}

function typeModule(fs, dir) {
  for (; ; dir = path.dirname(dir)) {
    if (!dir.endsWith('/node_modules')) {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).type === 'module';
      } catch { /* no package.json here (or not JSON): look further up */ }
    }
    if (dir === path.dirname(dir)) return false;
  }
}

// Whether the handler resolves packages as ES modules do: it is one, or (CommonJS) it calls import(), which
// resolves as an ES module import does, without NODE_PATH.
function resolvesAsModule() {
  const handler = handlerFile();
  if (handler === null) return false;
  if (handler.module) return true;
  try {
    return /\bimport\s*\(/.test(require('node:fs').readFileSync(handler.file, 'utf8'));
  } catch {
    return false;
  }
}

// ES module imports of bare package names fall back to the NODE_PATH folders (layers, the runtime's SDK), as on
// Lambda. Node.js 22.15+ runs the hook in-thread; Node.js 20 needs a loader thread (about 100 ms at start-up), so
// there it is started for a handler that resolves as a module (require() reads NODE_PATH by itself), or else when
// the first CommonJS file that calls import() is about to load (a dependency of the handler, say): the check runs
// while require() resolves a file, before the file runs, so no frame of it is left in the stack of the file's code.
// (Node.js 20 runs this preload again in the loader thread: the hook is registered from the main thread only.)
const searchDirs = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
const IMPORT_CALL = /\bimport\s*\(/;
if (searchDirs.length && require('node:worker_threads').isMainThread) {
  const parents = searchDirs.map((dir) => pathToFileURL(path.join(dir, 'noop.js')).href);
  if (typeof Module.registerHooks === 'function') {  // Node.js 22.15+: in-thread hooks
    const bare = require('./layers-hook-shared.cjs');
    Module.registerHooks({ resolve: bare.resolveSync(parents) });
  } else if (resolvesAsModule()) {  // Node.js 20: a loader thread
    Module.register(pathToFileURL(path.join(__dirname, 'layers-hook.mjs')).href, { data: { parents } });
  } else {
    registerOnFirstImportCall(parents);
  }
}

function registerOnFirstImportCall(parents) {
  const fs = require('node:fs');
  const resolveFilename = Module._resolveFilename;
  const seen = new Set();
  Module._resolveFilename = function (request, ...rest) {
    let filename;
    try {
      filename = resolveFilename.call(this, request, ...rest);
    } catch (error) {
      throw withoutThisFrame(error);
    }
    if (!seen.has(filename) && /\.c?js$/.test(filename)) {
      seen.add(filename);
      let source = '';
      try { source = fs.readFileSync(filename, 'utf8'); } catch { /* the loader reports it */ }
      if (IMPORT_CALL.test(source)) {
        Module._resolveFilename = resolveFilename;  // once registered, nothing more to watch
        Module.register(pathToFileURL(path.join(__dirname, 'layers-hook.mjs')).href, { data: { parents } });
      }
    }
    return filename;
  };
}

// A require() that fails in this wrapper reports the stack it would have without it (as on Lambda).
function withoutThisFrame(error) {
  if (error && typeof error.stack === 'string') {
    error.stack = error.stack.split('\n').filter((line) => !line.includes(__filename)).join('\n');
  }
  return error;
}

// Inside the sandbox, AWS is the sandbox: every request for an AWS host (the SDK's, a presigned URL's) goes to the
// sandbox's endpoint, over plain HTTP on loopback, with its Host header kept so the endpoint routes it by service,
// and with this process's token, so the endpoint handles it within the invocation that made it.
const sandboxAws = process.env._LAMBDA_LOCAL_AWS_ENDPOINT;
const runtimeToken = process.env._LAMBDA_LOCAL_RUNTIME_TOKEN || '';
delete process.env._LAMBDA_LOCAL_AWS_ENDPOINT;
delete process.env._LAMBDA_LOCAL_RUNTIME_TOKEN;
if (sandboxAws) {
  const https = require('node:https');
  const target = new URL(sandboxAws);
  const AWS_HOST = /(^|\.)amazonaws\.com(\.cn)?$|(^|\.)on\.aws$/;
  const plainAgent = new http.Agent({ keepAlive: true });
  const redirect = (original) => function (input, options, callback) {
    let url = null;
    if (typeof input === 'string' || input instanceof URL) {
      url = new URL(input);
    } else {
      callback = options;
      options = input;
    }
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    const opts = { ...(options || {}) };
    const host = url ? url.hostname : (opts.hostname || opts.host || '').replace(/:\d+$/, '');
    if (!AWS_HOST.test(host)) return original.apply(this, arguments);
    const path = url ? url.pathname + url.search : (opts.path || '/');
    const headers = { host, ...(opts.headers || {}), 'x-lambda-local-runtime': runtimeToken };
    return http.request({ ...opts, protocol: 'http:', hostname: target.hostname, host: undefined,
      port: target.port, path, headers, agent: plainAgent }, callback);
  };
  https.request = redirect(https.request);
  https.get = function (...args) {
    const request = https.request(...args);
    request.end();
    return request;
  };
  Module.syncBuiltinESMExports();
}
