import { post, untilSettled } from '../api.js';
import { h, mount, notice, problemList } from '../dom.js';
import { t } from '../i18n.js';

export async function discoveryPage(view) {
  const msg = h('div', { id: 'discovery-msg' });
  const results = h('div', { id: 'discovery-results' });
  const scan = async () => {
    notice(msg, 'info', t('discovery.scanning'));
    try {
      const { found, reports = [] } = await post('/api/ui/discovery/scan', { timeoutMs: 3000 });
      // Nothing answered: say what was probed on which interfaces, so the technician can tell "no
      // camera there" from "the probe never reached that network"; the report ends with how to add by address.
      const hint = found.length || reports.length ? '' : ` ${t('discovery.byAddress')}`;
      notice(msg, found.length ? 'ok' : 'info', `${t('discovery.answered', { count: found.length })}${hint}`);
      if (found.length) draw(found);
      else mount(results, reports.length ? reportView(reports) : null);
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  };
  const draw = (found) => {
    const user = h('input', { name: 'username', placeholder: t('discovery.user'), 'aria-label': t('discovery.user'), autocomplete: 'off', value: 'admin' });
    const pass = h('input', {
      name: 'password',
      type: 'password',
      placeholder: t('discovery.password'),
      'aria-label': t('discovery.password'),
      autocomplete: 'new-password',
    });
    const rows = found.map((f, i) =>
      h(
        'tr',
        { dataset: { identity: f.identity } },
        h('td', {}, f.configured ? null : h('input', { type: 'checkbox', 'aria-label': t('discovery.select', { name: f.name || f.address }), dataset: { i } })),
        h('td', { 'data-label': t('devices.device') }, h('strong', {}, f.name || f.model || f.identity), h('div', { class: 'small muted' }, f.model || '')),
        h('td', { 'data-label': t('discovery.address') }, h('code', {}, f.address)),
        h(
          'td',
          { 'data-label': t('discovery.status') },
          f.configured
            ? h('span', { class: 'badge s-online' }, t('discovery.configuredAs', { id: f.configured }))
            : h('span', { class: 'badge s-minor' }, t('discovery.new')),
        ),
        h(
          'td',
          { 'data-label': t('discovery.newId') },
          f.configured ? null : h('input', { class: 'new-id', dataset: { i }, value: suggestId(f, i), 'aria-label': t('discovery.newId') }),
        ),
      ),
    );
    const add = async () => {
      const picked = [...results.querySelectorAll('input[type=checkbox]:checked')].map((c) => Number(c.dataset.i));
      if (!picked.length) return notice(msg, 'error', t('discovery.selectOne'));
      for (const i of picked) {
        const f = found[i];
        const id = results.querySelector(`input.new-id[data-i="${i}"]`).value;
        const device = {
          id,
          name: f.name,
          kind: f.meta?.channels > 1 ? 'nvr' : 'camera',
          driver: f.driver,
          url: f.address,
          username: user.value,
          password: { $secret: pass.value },
        };
        try {
          const r = await post('/api/ui/devices', { device, reason: t('discovery.reason', { identity: f.identity }) });
          notice(msg, 'info', t('discovery.adding', { id }));
          const v = await untilSettled(r.version.version);
          notice(
            msg,
            v.status === 'applied' ? 'ok' : 'error',
            v.status === 'applied' ? t('discovery.added', { id }) : t('discovery.addFailed', { id, error: v.error }),
          );
        } catch (err) {
          notice(msg, 'error', `${id}: ${err.message}`);
          if (err.body?.error?.problems) msg.append(problemList(err.body.error.problems));
          return;
        }
      }
      scan();
    };
    mount(
      results,
      h(
        'table',
        { class: 'list-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['', t('devices.device'), t('discovery.address'), t('discovery.status'), t('discovery.newId')].map((x) => h('th', {}, x)),
          ),
        ),
        h('tbody', {}, rows),
      ),
      found.some((f) => !f.configured)
        ? h(
            'div',
            { class: 'card' },
            h('h2', {}, t('discovery.addTitle')),
            h('div', { class: 'row' }, user, pass),
            h('button', { type: 'button', class: 'primary', id: 'add-selected', onclick: add }, t('discovery.addSelected')),
          )
        : null,
    );
  };
  mount(
    view,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, t('discovery.title')),
      h('button', { type: 'button', class: 'primary', id: 'scan', onclick: scan }, t('discovery.scan')),
    ),
    h('div', { class: 'card small', id: 'discovery-explain' }, h('p', {}, t('discovery.explain')), h('p', { class: 'muted' }, t('discovery.byAddress'))),
    msg,
    results,
  );
}

function suggestId(f, i) {
  const base = String(f.name || f.model || 'cam')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return base || `cam-${String(i + 1).padStart(3, '0')}`;
}

/** What each driver's scan did (drivers/onvif: DiscoveryReport), in the user's language. */
function reportView(reports) {
  return h(
    'div',
    { class: 'card small', id: 'discovery-report' },
    h('h2', {}, t('discovery.report.title')),
    reports.map(({ driver, report: r }) => {
      const interfaces = r.interfaces ?? [];
      const targets = r.targets ?? [];
      const skipped = (r.skipped ?? []).map((x) => h('li', {}, t('discovery.report.skipped', { name: x.name, address: x.address, why: skipReason(x.reason) })));
      const lines = [
        interfaces.length ? t('discovery.report.interfaces', { list: interfaces.join(', ') }) : t('discovery.report.noInterface'),
        targets.length
          ? t('discovery.report.targets', { count: r.probesSent ?? 0, list: targets.join(', '), seconds: Math.round((r.timeoutMs ?? 0) / 100) / 10 })
          : t('discovery.report.noTargets'),
        t('discovery.report.answers', { answers: r.answers ?? 0, ignored: r.ignored ?? 0 }),
      ];
      return h(
        'div',
        { class: 'report', dataset: { driver } },
        h('h3', {}, t('discovery.report.driver', { driver: driver === 'onvif' ? 'ONVIF' : driver })),
        h(
          'ul',
          {},
          lines.map((l) => h('li', {}, l)),
          skipped,
        ),
        h('p', { class: 'muted' }, t('discovery.report.hint')),
      );
    }),
  );
}

function skipReason(reason = '') {
  if (reason.startsWith('loopback')) return t('discovery.report.skipLoopback');
  const m = reason.match(/^(IPv6|\w+): WS-Discovery probes IPv4 only/);
  if (m) return t('discovery.report.skipFamily', { family: m[1] });
  return reason;
}
