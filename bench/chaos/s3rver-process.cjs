// s3rver in a process of its own, on a given port and folder, so the fault campaign can stop it
// (SIGKILL, as a crash) and start it again where clients expect it, with the objects kept.
// Needs NODE_OPTIONS=--openssl-legacy-provider (paged listings). Prints "READY <port>" once listening.
const S3rver = require('s3rver');
const [dir, port] = process.argv.slice(2);
const server = new S3rver({ port: Number(port) || 0, address: '127.0.0.1', silent: true, directory: dir, resetOnClose: false });
server.run().then(({ port: bound }) => {
  process.stdout.write(`READY ${bound}\n`);
}, (err) => {
  process.stderr.write(`s3rver failed: ${err && err.stack}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
