/** The bundled pages as `ev-csms serve` serves them: real HTTP against a real CSMS on port 0. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWeb } from '../../../src/csms/web/build.ts';
import { startCsms, type TestCsms } from '../../helpers/csms.ts';

describe('web pages over HTTP', () => {
  let t: TestCsms;
  beforeAll(async () => { t = await startCsms(); });
  afterAll(async () => { await t?.close(); });

  it('serves each app\'s index, script and stylesheet under /app/ and /cms/', async () => {
    for (const app of ['app', 'cms']) {
      const index = await t.api(`/${app}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toContain('text/html');
      const html = await index.text();
      expect(html).toContain('<script type="module" src="main.js">');
      const js = await t.api(`/${app}/main.js`);
      expect(js.headers.get('content-type')).toContain('text/javascript');
      expect((await js.text()).length).toBeGreaterThan(10_000);
      expect((await t.api(`/${app}/main.css`)).headers.get('content-type')).toContain('text/css');
    }
  });

  it('revalidates with a strong ETag: an unchanged file is a 304 without a body', async () => {
    const first = await t.api('/cms/main.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await t.api('/cms/main.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('redirects / to the customer panel and /cms to /cms/; an unknown file is a JSON 404', async () => {
    const root = await fetch(`${t.info.httpUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/app/');
    expect((await fetch(`${t.info.httpUrl}/cms`, { redirect: 'manual' })).headers.get('location')).toBe('/cms/');
    const missing = await t.api('/cms/nope.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('CSMS_ERR_NOT_FOUND');
    // The API keeps its own routes: /api/config is not swallowed by the pages.
    expect((await t.api('/api/config')).status).toBe(200);
  });

  it('bundles both apps from the TypeScript sources', async () => {
    const assets = await bundleWeb();
    expect([...assets.keys()].sort()).toEqual(expect.arrayContaining(['app/index.html', 'app/main.js', 'app/main.css', 'cms/index.html', 'cms/main.js', 'cms/main.css']));
  });
});
