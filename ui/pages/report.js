import { get } from '../api.js';
import { badge, h, mount, num, since } from '../dom.js';
import { count, dateTime, t, tx } from '../i18n.js';

/** Snapshots on the printed page: the first cameras only (a page, not a wall). */
const MAX_SNAPSHOTS = 12;

/**
 * The commissioning report: one printable page per site in the user's language — devices with
 * status, firmware and the last reading, the uplink check, zones, camera snapshots, who and when.
 * The browser's "print to PDF" makes the document handed over at site acceptance.
 */
export async function reportPage(view) {
  const r = await get('/api/ui/report');
  const cameras = r.devices.filter((d) => d.kind === 'camera' || d.kind === 'nvr');
  const online = r.devices.filter((d) => d.status === 'online').length;
  mount(
    view,
    h(
      'article',
      { class: 'report', id: 'report' },
      h(
        'div',
        { class: 'row no-print' },
        h('button', { type: 'button', class: 'primary', id: 'print', onclick: () => window.print() }, t('report.print')),
        h('span', { class: 'muted small' }, t('report.printHint')),
      ),
      h('h1', {}, t('report.title', { site: r.site })),
      h(
        'table',
        { class: 'facts' },
        h(
          'tbody',
          {},
          [
            [t('report.site'), r.site],
            [t('report.gateway'), `${r.gateway} · gridgate ${r.version} · ${t('report.configVersion', { version: r.configVersion })}`],
            [t('report.when'), `${dateTime(r.generatedAt)} (${r.timeZone})`],
            [t('report.by'), r.by],
            [t('dashboard.mode'), tx('mode', r.mode)],
            [t('report.devicesOnline'), t('report.devicesOnlineOf', { online, total: r.devices.length })],
          ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))),
        ),
      ),
      h('h2', {}, t('report.uplinkCheck')),
      h(
        'p',
        { id: 'report-uplink' },
        badge(r.uplink.connected ? 'ok' : 'failed'),
        ' ',
        r.uplink.connected
          ? t('report.uplinkOk', { broker: r.uplink.broker, since: dateTime(r.uplink.since) })
          : t('report.uplinkDown', { broker: r.uplink.broker }),
        r.uplink.lastError ? h('span', { class: 'data small' }, ` ${r.uplink.lastError}`) : null,
        ' ',
        t('report.backlog', { events: r.outbox.events, telemetry: r.outbox.telemetry }),
      ),
      r.zones.length
        ? [
            h('h2', {}, t('nav.zones')),
            h(
              'ul',
              {},
              r.zones.map((z) =>
                h(
                  'li',
                  {},
                  h('strong', {}, z.name || z.zone),
                  ' ',
                  t('report.zoneNow', { count: count(z.occupancy) }),
                  z.level ? [' · ', tx('level', z.level, String(z.level))] : null,
                ),
              ),
            ),
          ]
        : null,
      h('h2', {}, t('report.devices', { count: r.devices.length })),
      h(
        'table',
        { class: 'list-table report-devices', id: 'report-devices' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              t('devices.device'),
              t('devices.kind'),
              t('devices.zone'),
              t('devices.status'),
              t('report.firmware'),
              t('report.lastReading'),
              t('report.lastTest'),
            ].map((x) => h('th', {}, x)),
          ),
        ),
        h(
          'tbody',
          {},
          r.devices.map((d) =>
            h(
              'tr',
              { dataset: { device: d.id } },
              h(
                'td',
                { 'data-label': t('devices.device') },
                h('strong', {}, d.name || d.id),
                d.name ? h('div', { class: 'small' }, h('code', {}, d.id)) : null,
              ),
              h('td', { 'data-label': t('devices.kind') }, tx('kind', d.kind)),
              h('td', { 'data-label': t('devices.zone') }, d.zone || '—'),
              h(
                'td',
                { 'data-label': t('devices.status') },
                badge(d.status),
                d.lastSeen && d.status !== 'online' ? h('div', { class: 'small muted' }, since(d.lastSeen)) : null,
                d.reason ? h('div', { class: 'small data' }, d.reason) : null,
              ),
              h(
                'td',
                { 'data-label': t('report.firmware') },
                d.firmware ? h('span', { class: 'data' }, [d.manufacturer, d.model, d.firmware].filter(Boolean).join(' ')) : '—',
              ),
              h(
                'td',
                { 'data-label': t('report.lastReading') },
                d.lastReading
                  ? [
                      h('code', {}, d.lastReading.point),
                      ' = ',
                      num(d.lastReading.value),
                      d.lastReading.unit ? ` ${d.lastReading.unit}` : '',
                      h('div', { class: 'small muted' }, dateTime(d.lastReading.ts)),
                    ]
                  : '—',
              ),
              h('td', { 'data-label': t('report.lastTest'), class: 'last-test' }, d.lastTest ? lastTest(d.lastTest) : t('report.notTested')),
            ),
          ),
        ),
      ),
      cameras.length
        ? [
            h('h2', {}, t('report.snapshots', { shown: Math.min(MAX_SNAPSHOTS, cameras.length), total: cameras.length })),
            h(
              'div',
              { class: 'grid report-snapshots' },
              cameras.slice(0, MAX_SNAPSHOTS).map((c) => {
                const img = h('img', { src: `/api/ui/cameras/${encodeURIComponent(c.id)}/snapshot?channel=1`, alt: c.name || c.id });
                img.addEventListener('error', () => img.replaceWith(h('div', { class: 'no-picture small muted' }, t('cameras.noSnapshot'))));
                return h('figure', { class: 'cam' }, h('div', { class: 'thumb' }, img), h('figcaption', { class: 'small' }, c.name || c.id));
              }),
            ),
          ]
        : null,
      h('div', { class: 'signatures' }, h('p', {}, t('report.signInstaller')), h('p', {}, t('report.signCustomer'))),
    ),
  );
}

/** The device's last test before save: passed or not, the point read, who and when. */
function lastTest(x) {
  return [
    h(
      'span',
      { class: `badge ${x.ok ? 's-info' : 's-major'}`, dataset: { value: x.ok ? 'passed' : 'failed' } },
      x.ok ? t('report.testPassed') : t('report.testFailed'),
    ),
    x.reading ? [' ', h('code', {}, x.reading.point), ' = ', num(x.reading.value), x.reading.unit ? ` ${x.reading.unit}` : ''] : null,
    x.snapshot ? [' ', t('report.testSnapshot')] : null,
    !x.ok && x.error ? h('div', { class: 'small data' }, x.error) : null,
    h('div', { class: 'small muted' }, t('report.testBy', { by: x.by, when: dateTime(x.at) })),
  ];
}
