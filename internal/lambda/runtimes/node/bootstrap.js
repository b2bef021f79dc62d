// gatehouse's Node.js runtime (nodejs18.x, nodejs20.x, nodejs22.x): the process speaks
// AWS's Lambda Runtime API (2018-06-01) to the listener in AWS_LAMBDA_RUNTIME_API and runs
// the handler named by _HANDLER from the code in LAMBDA_TASK_ROOT (its working directory).
// No dependencies but Node's own modules.
//
// What it copies of AWS's Node.js runtime is behaviour, checked against AWS's documentation
// and against what functions on AWS answer and log (cited beside each quirk); the code is
// gatehouse's own.
//
// AWS starts node with --no-experimental-require-module (Node 20, 22) and
// --no-experimental-detect-module (Node 22), so a .js file with ES module syntax and no
// "type":"module" is a syntax error there, as it is here when node gets the same flags
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, "experimental features").
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const env = process.env;
const apiAddr = env.AWS_LAMBDA_RUNTIME_API || '127.0.0.1:9001';
const colon = apiAddr.lastIndexOf(':');
const apiHost = apiAddr.slice(0, colon);
const apiPort = Number(apiAddr.slice(colon + 1));
const prefix = '/2018-06-01/runtime';

// One keep-alive connection to the Runtime API. An idle pooled socket is unref'd by Node's
// agent, so it does not keep the event loop alive: an empty loop still means "the
// function's work is done" (see callbackWaitsForEmptyEventLoop below).
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// ---- logging ---------------------------------------------------------------------------

// The request id logs carry; "undefined" before the first invocation, as AWS logs it
// (e.g. "2023-01-26T07:46:54.151Z\tundefined\tERROR\tUncaught Exception ..." in
// aws/aws-lambda-nodejs-runtime-interface-client#178).
let logRequestID;

// console.* write one line each to stdout in AWS's text format
// "<ISO timestamp>\t<request id>\t<LEVEL>\t<util.format of the arguments>"
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html, "Log format"). A
// message's own newlines become carriage returns, as AWS's runtime writes them, so one call
// stays one record (gatehouse logs the process's output line by line).
function logLine(level, args) {
	const msg = util.format(...args).replace(/\n/g, '\r');
	process.stdout.write(`${new Date().toISOString()}\t${logRequestID}\t${level}\t${msg}\n`);
}
console.log = (...a) => logLine('INFO', a);
console.info = (...a) => logLine('INFO', a);
console.warn = (...a) => logLine('WARN', a);
console.error = (...a) => logLine('ERROR', a);
console.debug = (...a) => logLine('DEBUG', a);
console.trace = (...a) => logLine('TRACE', a);
console.fatal = (...a) => logLine('FATAL', a);

// ---- errors ----------------------------------------------------------------------------

// The runtime's own error types, named as AWS names them.
class RuntimeError extends Error {
	constructor(type, message) {
		super(message);
		this.name = type;
	}
}

// errorDoc is the error document AWS's Node.js runtime answers: errorType (the error's
// name: "Error", "TypeError", a class's own name when it sets one), errorMessage and trace
// (the stack, line by line; "trace", not Python's "stackTrace"), e.g.
// {"errorType":"Runtime.HandlerNotFound","errorMessage":"index.handler is undefined or not
// exported","trace":["Runtime.HandlerNotFound: index.handler is undefined or not exported",
// "    at ..."]} (aws/aws-toolkit-jetbrains#1771). A thrown value that is not an Error:
// errorType is its typeof, errorMessage its string, trace empty.
function errorDoc(err) {
	try {
		if (util.types.isNativeError(err) || err instanceof Error) {
			return {
				errorType: String(err.name),
				errorMessage: String(err.message),
				trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
			};
		}
		return { errorType: typeof err, errorMessage: String(err), trace: [] };
	} catch {
		return {
			errorType: 'handled',
			errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
		};
	}
}

// logError logs an error as AWS's runtime does, a tab before the JSON and the document's
// trace under "stack": "...\tERROR\tUnhandled Promise Rejection \t{"errorType":...}"
// (aws/aws-lambda-base-images#392), "...\tERROR\tInvoke Error \t{...}".
function logError(title, doc) {
	console.error(title, '\t' + JSON.stringify({ errorType: doc.errorType, errorMessage: doc.errorMessage, stack: doc.trace }));
}

// ---- the Runtime API -------------------------------------------------------------------

function call(method, urlPath, body, headers) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: apiHost, port: apiPort, method, path: urlPath, agent, headers }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

// headerSafe keeps a header value to what Node sends (printable ASCII).
function headerSafe(s) {
	return String(s).replace(/[^\x20-\x7e]/g, '?');
}

function postJSON(urlPath, json, errorType) {
	const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) };
	if (errorType !== undefined) {
		headers['Lambda-Runtime-Function-Error-Type'] = headerSafe(errorType);
	}
	return call('POST', urlPath, json, headers);
}

function postError(urlPath, err) {
	const doc = errorDoc(err);
	let json;
	try {
		json = JSON.stringify(doc);
	} catch {
		json = JSON.stringify({ errorType: 'handled', errorMessage: 'error document not serializable' });
	}
	return postJSON(urlPath, json, doc.errorType);
}

// ---- loading the handler ---------------------------------------------------------------

function isFile(p) {
	try {
		return fs.statSync(p).isFile();
	} catch {
		return false;
	}
}

// typeModule reports whether the package.json nearest to file says "type":"module" (Node's
// rule for .js files).
function typeModule(file) {
	let dir = path.dirname(file);
	for (;;) {
		const pj = path.join(dir, 'package.json');
		if (isFile(pj)) {
			try {
				return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
			} catch {
				return false;
			}
		}
		const up = path.dirname(dir);
		if (up === dir) {
			return false;
		}
		dir = up;
	}
}

// parseHandler splits _HANDLER as AWS does: the directory part (everything up to the last
// "/"), the module name (the base name up to its first dot) and the export path (the rest,
// which may itself hold dots for nested objects): "src/app.api.get" is module src/app,
// export api.get. A base name without a dot is "Bad handler"; ".." is refused.
function parseHandler(full) {
	if (full.includes('..')) {
		throw new RuntimeError('Runtime.MalformedHandlerName', `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
	}
	const base = path.basename(full);
	const moduleRoot = full.slice(0, full.length - base.length);
	const dot = base.indexOf('.');
	if (dot < 0) {
		throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
	}
	return { moduleRoot, moduleName: base.slice(0, dot), functionPath: base.slice(dot + 1) };
}

// loadModule finds and loads the module as AWS's Node.js runtime does, in this order
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html, "CommonJS and ES
// Modules"; the .js-before-.mjs order is the one DataDog/datadog-lambda-js#784 relies on):
//  1. the name as is (a file without extension): require;
//  2. name.js, when the nearest package.json is not "type":"module": require;
//  3. name.js when it is (import), then name.mjs (import), then name.cjs (require);
//  4. Node's module resolution of the bare name from the handler's directory and the task
//     root (node_modules), whose failure is AWS's "Cannot find module 'index'" error.
// ES modules load with import() of a file:// URL, so their top-level await runs here, in
// init.
async function loadModule(root, moduleRoot, moduleName) {
	const dir = path.resolve(root, moduleRoot);
	const base = path.join(dir, moduleName);
	if (isFile(base)) {
		return require(base);
	}
	const esm = typeModule(base + '.js');
	if (!esm && isFile(base + '.js')) {
		return require(base + '.js');
	}
	if (esm && isFile(base + '.js')) {
		return import(pathToFileURL(base + '.js').href);
	}
	if (isFile(base + '.mjs')) {
		return import(pathToFileURL(base + '.mjs').href);
	}
	if (isFile(base + '.cjs')) {
		return require(base + '.cjs');
	}
	return require(require.resolve(moduleName, { paths: [dir, root] }));
}

// loadHandler returns the handler function, or throws AWS's init errors:
// Runtime.ImportModuleError "Error: Cannot find module 'index'\nRequire stack:\n- ..."
// (the not-found error, stringified), Runtime.UserCodeSyntaxError "SyntaxError: Unexpected
// token '<'" (serverless/examples#555, okta-graveyard/repo-supervisor#78),
// Runtime.HandlerNotFound "index.handler is undefined or not exported" or "... is not a
// function", Runtime.MalformedHandlerName "Bad handler". Any other error the module throws
// is reported as itself.
async function loadHandler(root, full) {
	const { moduleRoot, moduleName, functionPath } = parseHandler(full);
	let mod;
	try {
		mod = await loadModule(root, moduleRoot, moduleName);
	} catch (err) {
		if (err && (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND')) {
			throw new RuntimeError('Runtime.ImportModuleError', String(err));
		}
		if (err instanceof SyntaxError) {
			throw new RuntimeError('Runtime.UserCodeSyntaxError', String(err));
		}
		throw err;
	}
	let fn = mod;
	for (const key of functionPath.split('.')) {
		fn = fn == null ? undefined : fn[key];
	}
	if (fn === undefined || fn === null) {
		throw new RuntimeError('Runtime.HandlerNotFound', `${full} is undefined or not exported`);
	}
	if (typeof fn !== 'function') {
		throw new RuntimeError('Runtime.HandlerNotFound', `${full} is not a function`);
	}
	return fn;
}

// ---- invocations -----------------------------------------------------------------------

// The running invocation: { id, answered, emptyLoop() }; null between invocations.
let current = null;

// An empty event loop while an invocation runs ends it: with the result a callback left
// waiting (callbackWaitsForEmptyEventLoop), or — when the handler gave none: a callback
// handler that never called back, a promise that can never settle — with null, as AWS
// answers then. Node emits beforeExit exactly when its loop has nothing left to do.
process.on('beforeExit', () => {
	if (current !== null) {
		current.emptyLoop();
	}
});

function parseJSONHeader(v) {
	if (v === undefined || v === '') {
		return undefined;
	}
	try {
		return JSON.parse(v);
	} catch {
		return undefined;
	}
}

function newContext(id, h) {
	const deadline = Number(h['lambda-runtime-deadline-ms']);
	return {
		callbackWaitsForEmptyEventLoop: true,
		functionName: env.AWS_LAMBDA_FUNCTION_NAME,
		functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
		invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
		memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, // a string, as AWS gives it
		awsRequestId: id,
		logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
		logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
		identity: parseJSONHeader(h['lambda-runtime-cognito-identity']),
		clientContext: parseJSONHeader(h['lambda-runtime-client-context']),
		getRemainingTimeInMillis: () => deadline - Date.now(),
	};
}

// run calls the handler and settles with its outcome { failed, value }:
//  - a promise (async handler): its value or rejection, at once;
//  - a callback (event, context, callback): its answer, once the event loop is empty when
//    context.callbackWaitsForEmptyEventLoop is true (the default: a timer left running
//    delays the answer until it fires, or the function times out), at once when false;
//  - context.done/succeed/fail: their answer, at once;
//  - a synchronous throw: the error, at once.
// A plain return value of a handler that is not async is ignored, as AWS ignores it: such a
// handler answers through its callback (or null once the loop is empty).
function run(handler, event, context, inv) {
	return new Promise((resolve) => {
		let settled = false;
		let waiting = null;
		const settle = (failed, value) => {
			if (!settled) {
				settled = true;
				resolve({ failed, value });
			}
		};
		const callback = (err, data) => {
			if (settled || waiting !== null) {
				return;
			}
			const outcome = err !== undefined && err !== null ? { failed: true, value: err } : { failed: false, value: data };
			if (context.callbackWaitsForEmptyEventLoop) {
				waiting = outcome;
			} else {
				settle(outcome.failed, outcome.value);
			}
		};
		// The legacy methods answer at once: AWS's guide for leaving the Node.js 0.10 runtime
		// replaces context.succeed(x) with "context.callbackWaitsForEmptyEventLoop = false;
		// callback(null, x)" (nodejs-prog-model-using-old-runtime.html, quoted in
		// AWSinAction/lambda#6).
		const done = (err, data) => {
			context.callbackWaitsForEmptyEventLoop = false;
			callback(err, data);
		};
		context.done = done;
		context.succeed = (data) => done(null, data);
		context.fail = (err) => done(err === undefined || err === null ? 'handled' : err);
		inv.emptyLoop = () => {
			if (waiting !== null) {
				settle(waiting.failed, waiting.value);
			} else {
				settle(false, null);
			}
		};
		let result;
		try {
			result = handler(event, context, callback);
		} catch (err) {
			settle(true, err);
			return;
		}
		if (result !== null && typeof result === 'object' || typeof result === 'function') {
			if (typeof result.then === 'function') {
				result.then((v) => settle(false, v), (e) => settle(true, e));
			}
		}
	});
}

async function answer(inv, outcome) {
	const base = `${prefix}/invocation/${inv.id}`;
	inv.answered = true;
	if (outcome.failed) {
		logError('Invoke Error', errorDoc(outcome.value));
		await postError(`${base}/error`, outcome.value);
		return;
	}
	let json;
	try {
		json = JSON.stringify(outcome.value === undefined ? null : outcome.value);
	} catch {
		// AWS's runtime answers a response JSON.stringify cannot serialize (circular, BigInt)
		// with this error (its RAPIDClient _trySerializeResponse).
		const err = new Error('Unable to stringify response body');
		logError('Invoke Error', errorDoc(err));
		await postError(`${base}/error`, err);
		return;
	}
	await postJSON(`${base}/response`, json);
}

// An error outside any handler's answer ends the process as AWS's runtime ends it: logged,
// posted as the running invocation's error (or as the init error during init), then exit
// 129 for an uncaught exception, 128 for an unhandled rejection, which gatehouse reports
// for a later invocation as Runtime.ExitError. AWS wraps a rejection as
// {"errorType":"Runtime.UnhandledPromiseRejection","errorMessage":"Error: HelloError",...}
// (aws/aws-lambda-base-images#392).
let initialized = false;
let dying = false;

async function fatal(title, err, code) {
	if (dying) {
		return;
	}
	dying = true;
	try {
		logError(title, errorDoc(err));
		if (!initialized) {
			await postError(`${prefix}/init/error`, err);
		} else if (current !== null && !current.answered) {
			current.answered = true;
			await postError(`${prefix}/invocation/${current.id}/error`, err);
		}
	} catch {
		// The Runtime API is gone: nothing left to tell.
	}
	process.exit(code);
}

process.on('uncaughtException', (err) => {
	fatal('Uncaught Exception', err, 129);
});
process.on('unhandledRejection', (reason) => {
	let msg;
	try {
		msg = String(reason);
	} catch {
		msg = typeof reason;
	}
	const err = new RuntimeError('Runtime.UnhandledPromiseRejection', msg);
	fatal('Unhandled Promise Rejection', err, 128);
});

async function main() {
	const root = env.LAMBDA_TASK_ROOT || process.cwd();
	let handler;
	try {
		handler = await loadHandler(root, env._HANDLER || '');
	} catch (err) {
		logError('Init Error', errorDoc(err));
		dying = true;
		try {
			await postError(`${prefix}/init/error`, err);
		} catch {
			// nothing left to tell
		}
		process.exit(129);
	}
	initialized = true;
	for (;;) {
		const next = await call('GET', `${prefix}/invocation/next`);
		if (next.status !== 200) {
			throw new Error(`runtime API /next answered ${next.status}: ${next.body}`);
		}
		const h = next.headers;
		const id = h['lambda-runtime-aws-request-id'];
		const trace = h['lambda-runtime-trace-id'];
		if (trace) {
			env._X_AMZN_TRACE_ID = trace;
		} else {
			delete env._X_AMZN_TRACE_ID;
		}
		logRequestID = id;
		const inv = { id, answered: false, emptyLoop: () => {} };
		current = inv;
		let outcome;
		try {
			const event = JSON.parse(next.body.toString('utf8'));
			outcome = await run(handler, event, newContext(id, h), inv);
		} catch (err) {
			outcome = { failed: true, value: err };
		}
		if (!inv.answered) {
			try {
				await answer(inv, outcome);
			} catch (err) {
				// The answer did not go through: gatehouse refused it (a response over its
				// limit is answered 413 and may close the connection mid-body) and ended the
				// invocation itself. The runtime goes on; if the API is really gone, the
				// next /next says so.
				process.stderr.write(`gatehouse node runtime: answer for ${inv.id}: ${err && err.message ? err.message : err}\n`);
			}
		}
		current = null;
	}
}

main().catch((err) => {
	// The Runtime API went away (gatehouse stopping this process) or broke the protocol.
	process.stderr.write(`gatehouse node runtime: ${err && err.stack ? err.stack : err}\n`);
	process.exit(1);
});
