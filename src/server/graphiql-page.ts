import path from 'node:path';
import express, { Router } from 'express';

/**
 * GraphiQL served by the service itself, with nothing fetched from a CDN: the page loads the
 * prebuilt browser bundles of the `graphiql` (3.x, the last line with a UMD build), `react` and
 * `react-dom` (18.x, the last with UMD builds) npm packages straight from node_modules. Chosen
 * over Apollo's landing page (always loads from a CDN) and GraphiQL 4+/5 (ESM only: would need a
 * bundler step). About 1.5 MB to the browser, cached.
 */
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

const ASSETS: Record<string, string> = {
  'graphiql.min.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
  'graphiql.min.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
  'react.production.min.js': path.join(packageDir('react'), 'umd', 'react.production.min.js'),
  'react-dom.production.min.js': path.join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
};

const DEFAULT_QUERY = `# pim-accumulator: press ▶ to run. The Docs button shows every type and field.
# With API keys configured, open "Headers" below and send: {"Authorization": "Bearer <your key>"}
{
  businessUnits { code }
}
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>pim-accumulator · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.min.css">
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/assets/react.production.min.js"></script>
  <script src="/graphiql/assets/react-dom.production.min.js"></script>
  <script src="/graphiql/assets/graphiql.min.js"></script>
  <script src="/graphiql/init.js"></script>
</body>
</html>
`;

// A separate script (not inline) so the page works under a strict script-src 'self' policy.
const INIT = `(function () {
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)}, defaultEditorToolsVisibility: true }));
})();
`;

/** GET /graphiql (the page), /graphiql/init.js and /graphiql/assets/<bundle>. */
export function graphiqlRouter(): Router {
  const router = express.Router();
  router.get('/graphiql', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE);
  });
  router.get('/graphiql/init.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-cache').send(INIT);
  });
  router.get('/graphiql/assets/:name', (req, res) => {
    const file = ASSETS[req.params.name];
    if (!file) {
      res.status(404).type('text').send('not found');
      return;
    }
    res.sendFile(file, { maxAge: '1d' });
  });
  return router;
}
