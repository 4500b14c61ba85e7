// Runs s3rver in its own process: it needs NODE_OPTIONS=--openssl-legacy-provider for paged
// listings, which can only be set when a process starts. Prints "READY <port>" once listening.
const S3rver = require('s3rver');
const dir = process.argv[2];
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, resetOnClose: false });
server.run().then(({ port }) => {
  process.stdout.write(`READY ${port}\n`);
}, (err) => {
  process.stderr.write(`s3rver failed: ${err && err.stack}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
