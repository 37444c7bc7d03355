/**
 * The yardstick for the sold-out path: a bare node:http server that reads the
 * request and answers BARE_STATUS with BARE_BODY, nothing else. Started by
 * bench/ratios/sold-out.ts on PORT, in its own process like the API.
 */
import http from 'node:http';

const status = Number(process.env.BARE_STATUS ?? 409);
const body = Buffer.from(process.env.BARE_BODY ?? '{}');
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };

http
  .createServer((req, res) => {
    req.resume();
    req.once('end', () => res.writeHead(status, headers).end(body));
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('bare server listening'));
