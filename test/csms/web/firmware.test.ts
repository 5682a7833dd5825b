/**
 * The CMS's firmware page and a charger's jobs card, in Chromium against a real CSMS and a simulated
 * charger: upload an image, update the charger to it (it downloads, installs, reboots), request its
 * diagnostics and download the file the charger uploaded.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { firmwareImage } from '../../../src/simulator/charger/firmware.ts';
import { describeBrowser, screenshot, signIn, type SignedInPage } from '../../helpers/browser.ts';
import { waitFor } from '../../helpers/csms.ts';
import { ADMIN, startWebFixture, type WebFixture } from './fixture.ts';

describeBrowser('firmware and diagnostics in the CMS', () => {
  let f: WebFixture;
  let admin: SignedInPage;

  beforeAll(async () => {
    f = await startWebFixture({ rabbitmq: false, overrides: { pollDetailMs: 300, pollListMs: 500 } });
    admin = await signIn(f.browser, f.base, 'admin', ADMIN.email, ADMIN.password, '/cms/#/firmware');
  }, 60_000);
  afterAll(async () => {
    expect(admin?.pageErrors ?? [], 'errors in the page').toEqual([]);
    await f?.close();
  });

  it('uploads an image, updates a charger to it, then fetches its diagnostics file', { timeout: 60_000 }, async () => {
    const { page } = admin;
    await page.setInputFiles('[data-testid=firmware-file]', { name: 'evsim-4.0.0.bin', mimeType: 'application/octet-stream', buffer: firmwareImage('4.0.0', randomBytes(4096)) });
    await page.fill('[data-testid=firmware-version]', '4.0.0');
    await page.click('button:has-text("Upload")');
    await page.waitForSelector('[data-testid=firmware-files] >> text=evsim-4.0.0.bin');

    await page.goto(`${f.base}/cms/#/points/${f.ids.A}`);
    await page.waitForSelector('[data-testid=point-jobs] select >> text=evsim-4.0.0.bin (4.0.0)', { state: 'attached' });
    await page.click('[data-testid=update-firmware]');
    await page.waitForSelector('[data-testid=point-jobs] [data-testid=job-status] >> text=Done', { timeout: 30_000 });
    expect((await f.t.store.chargePoints.get(f.ids.A))?.firmwareVersion).toBe('4.0.0');

    await waitFor(() => f.chargers.A.sim.link());
    await page.click('[data-testid=get-diagnostics]');
    const button = '[data-testid=point-jobs] [data-testid=download-diagnostics]';
    await page.waitForSelector(button, { timeout: 30_000 });
    await screenshot(page, 'cms-point-jobs');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${f.ids.A}-\\d+\\.log$`));
    expect(await readFile((await download.path())!, 'utf8')).toContain(`charger ${f.ids.A} vendor`);

    await page.goto(`${f.base}/cms/#/firmware`);
    await page.waitForSelector('[data-testid=all-jobs] [data-testid=job-diagnostics]');
    expect(await page.locator('[data-testid=all-jobs] tbody tr').count()).toBe(2);
    await screenshot(page, 'cms-firmware');
  });
});
