import { get } from '../api.js';
import { badge, h, mount, since } from '../dom.js';
import { t, tx } from '../i18n.js';

const PAGE = 24;

export async function camerasPage(view, { args }) {
  if (args[0] === 'live') return livePage(view, args[1], Number(args[2] || 1));
  if (args[0] === 'multi') return multiView(view, Number(args[1]) === 3 ? 3 : 2, args[2] || '');
  const { channels } = await get('/api/ui/cameras');
  const devices = byDevice(channels);
  const grid = h('div', { class: 'grid', id: 'camera-grid' });
  const zones = [...new Set(channels.map((c) => c.zone).filter(Boolean))].sort();
  const statuses = [...new Set(channels.map((c) => c.status))].sort();
  const zone = h(
    'select',
    { 'aria-label': t('cameras.zone'), id: 'camera-zone' },
    h('option', { value: '' }, t('cameras.allZones')),
    zones.map((z) => h('option', { value: z }, z)),
  );
  const status = h(
    'select',
    { 'aria-label': t('cameras.status'), id: 'camera-status' },
    h('option', { value: '' }, t('cameras.allStatuses')),
    statuses.map((s) => h('option', { value: s }, tx('status', s))),
  );
  const pager = h('div', { class: 'row pager', id: 'camera-pager' });
  let page = 0;
  const refresh = () => {
    const now = Date.now();
    for (const img of grid.querySelectorAll('img[data-src]')) img.src = `${img.dataset.src}&t=${now}`;
  };
  const turn = (by) => {
    page += by;
    draw();
  };
  const draw = () => {
    const shown = devices.filter((list) => (!zone.value || list[0].zone === zone.value) && (!status.value || list[0].status === status.value));
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    mount(grid, shown.slice(page * PAGE, (page + 1) * PAGE).map(card));
    mount(
      pager,
      pages > 1 ? h('button', { type: 'button', disabled: page === 0, onclick: () => turn(-1) }, t('common.previous')) : null,
      h(
        'span',
        { class: 'muted small' },
        t('cameras.showing', { from: shown.length ? page * PAGE + 1 : 0, to: Math.min(shown.length, (page + 1) * PAGE), total: shown.length }),
      ),
      pages > 1 ? h('button', { type: 'button', disabled: page >= pages - 1, onclick: () => turn(1) }, t('common.next')) : null,
    );
  };
  for (const s of [zone, status]) s.addEventListener('change', () => turn(-page));
  mount(
    view,
    h(
      'div',
      { class: 'row' },
      h('h1', {}, t('cameras.title', { count: channels.length })),
      h('button', { type: 'button', id: 'refresh-snapshots', onclick: refresh }, t('cameras.refresh')),
      // Multi-view of the first 4 or 9 channels of the zone chosen (each a stream of its own).
      h(
        'div',
        { class: 'segmented' },
        [2, 3].map((n) =>
          h(
            'button',
            { type: 'button', id: `multi-${n}`, onclick: () => (location.hash = `#/cameras/multi/${n}/${encodeURIComponent(zone.value)}`) },
            t('cameras.multi', { n }),
          ),
        ),
      ),
    ),
    channels.length ? h('div', { class: 'row filters' }, zone, status) : h('p', { class: 'muted' }, t('cameras.none')),
    grid,
    pager,
  );
  draw();
}

/** The channel rows of /api/ui/cameras grouped per device (an NVR has many), in their order. */
function byDevice(channels) {
  const out = new Map();
  for (const c of channels) {
    if (!out.has(c.device)) out.set(c.device, []);
    out.get(c.device).push(c);
  }
  return [...out.values()];
}

/** A channel picker for a device with more than one (an NVR); null for a single camera. */
function channelPicker(list, current, onPick, id) {
  if (list.length < 2) return null;
  const select = h(
    'select',
    { class: 'channel-pick', 'aria-label': t('cameras.channel'), ...(id ? { id } : {}) },
    list.map((c) => h('option', { value: String(c.channel) }, t('cameras.channelN', { channel: c.channel }))),
  );
  select.value = String(current);
  select.addEventListener('change', () => onPick(Number(select.value)));
  return select;
}

/** One card per camera or NVR: its snapshot, status, last events, live view and snapshot of the channel picked. */
function card(list) {
  const first = list[0];
  const box = h('figure', { class: 'cam card', dataset: { device: first.device, channel: first.channel, channels: list.length } });
  const show = (channel) => {
    const c = list.find((x) => x.channel === channel) ?? first;
    box.dataset.channel = String(c.channel);
    const src = `/api/ui/cameras/${encodeURIComponent(c.device)}/snapshot?channel=${c.channel}`;
    const img = h('img', {
      alt: t('cameras.alt', { device: c.name || c.device, channel: c.channel }),
      loading: 'lazy',
      dataset: { src },
      src: `${src}&t=${Date.now()}`,
    });
    const none = h('span', { class: 'no-picture', hidden: true }, t('cameras.noSnapshot'));
    img.addEventListener('error', () => {
      img.classList.add('failed');
      none.hidden = false;
    });
    img.addEventListener('load', () => {
      img.classList.remove('failed');
      none.hidden = true;
    });
    mount(
      box,
      h('div', { class: 'thumb' }, img, none),
      h(
        'figcaption',
        {},
        h('strong', {}, c.name || c.device),
        ` #${c.channel} `,
        badge(c.status),
        // An NVR: the technician picks the channel the picture, the live view and the snapshot are of.
        channelPicker(list, c.channel, show),
        c.reason ? h('div', { class: 'small error-text data' }, c.reason) : null,
        // "Last seen" only where it tells something: an online camera next to "seen 8 min ago" reads as a contradiction.
        c.status !== 'online' ? h('div', { class: 'small muted' }, t('cameras.seen', { age: since(c.lastSeen) })) : null,
        c.events.length
          ? h(
              'ul',
              { class: 'small' },
              c.events.map((e) => h('li', {}, `${tx('eventType', e.type)} ${since(e.ts)}`)),
            )
          : null,
        h(
          'div',
          { class: 'cam-actions' },
          h('a', { href: `#/cameras/live/${encodeURIComponent(c.device)}/${c.channel}`, class: 'live-link' }, t('cameras.live')),
          h('button', { type: 'button', class: 'link snapshot-button', onclick: () => openPicture(`${src}&t=${Date.now()}`) }, t('cameras.snapshot')),
        ),
      ),
    );
  };
  show(first.channel);
  return box;
}

/** A fresh snapshot, large, over the page; a tap closes it. */
function openPicture(src) {
  const close = () => box.remove();
  const img = h('img', { src, alt: t('cameras.snapshot') });
  img.addEventListener('error', () => img.replaceWith(h('p', { class: 'notice error' }, t('cameras.noSnapshot'))));
  const box = h(
    'div',
    { class: 'lightbox', role: 'dialog', id: 'snapshot-box', onclick: close },
    img,
    h('button', { type: 'button', class: 'close', onclick: close }, t('common.close')),
  );
  document.body.append(box);
}

/**
 * 2×2 or 3×3 live pictures of the first channels (of one zone, when chosen); each tile can be
 * switched to any channel, an NVR's included (one stream per tile while watched).
 */
async function multiView(view, n, zone) {
  const { channels } = await get('/api/ui/cameras');
  const inZone = channels.filter((c) => !zone || c.zone === zone);
  const shown = inZone.slice(0, n * n);
  const { default: JSMpeg } = await import('/ui/vendor/jsmpeg.js');
  const players = new Map();
  // A tile switched to another channel opens its new socket while the server may not yet have
  // seen the old one close: at a cap, that first try is refused. It tries again (3 times, 0.7 s
  // apart) before it says so.
  const play = (tile, c, tries = 3) => {
    players.get(tile)?.destroy();
    const canvas = h('canvas', { class: 'live', width: 640, height: 360, dataset: { device: c.device, channel: c.channel } });
    let frames = 0;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ui/ws/live/${encodeURIComponent(c.device)}/${c.channel}`;
    const pick = h(
      'select',
      { class: 'tile-pick', 'aria-label': t('cameras.channel') },
      inZone.map((x) => h('option', { value: `${x.device}/${x.channel}` }, `${x.name || x.device} #${x.channel}`)),
    );
    pick.value = `${c.device}/${c.channel}`;
    pick.addEventListener('change', () => play(tile, inZone.find((x) => `${x.device}/${x.channel}` === pick.value) ?? c));
    tile.dataset.device = c.device;
    tile.dataset.channel = String(c.channel);
    delete tile.dataset.refused;
    mount(tile, canvas, h('figcaption', { class: 'small' }, pick, ' ', badge(c.status)));
    const player = new JSMpeg.Player(url, {
      canvas,
      audio: false,
      disableWebAssembly: true,
      videoBufferSize: 512 * 1024,
      onVideoDecode: () => {
        frames++;
        if (frames === 1 || frames % 25 === 0) canvas.dataset.frames = String(frames);
      },
    });
    let timer;
    onRefused(player, (code, reason) => {
      if (code === 4429 && tries > 0) {
        timer = setTimeout(() => play(tile, c, tries - 1), 700);
        return;
      }
      // Over a live view cap (a 3×3 wall beyond `http.liveView`): say so on the tile, and show
      // the channel's snapshot, renewed every 5 s, rather than a black square.
      tile.dataset.refused = String(code);
      const src = `/api/ui/cameras/${encodeURIComponent(c.device)}/snapshot?channel=${c.channel}`;
      const img = h('img', {
        class: 'live still',
        alt: '',
        title: t('cameras.alt', { device: c.name || c.device, channel: c.channel }),
        src: `${src}&t=${Date.now()}`,
      });
      canvas.replaceWith(img);
      tile.querySelector('figcaption').append(h('div', { class: 'small error-text' }, refusal(code, reason)));
      if (code === 4429) timer = setInterval(() => (img.src = `${src}&t=${Date.now()}`), 5000);
    });
    players.set(tile, {
      destroy: () => {
        clearInterval(timer);
        clearTimeout(timer);
        player.destroy();
      },
    });
  };
  const tiles = shown.map(() => h('figure', { class: 'multi-tile' }));
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, t('cameras.multiTitle', { n })), h('a', { href: '#/cameras', class: 'button' }, t('common.back'))),
    shown.length ? h('div', { class: `multi multi-${n}`, id: 'multi-view' }, tiles) : h('p', { class: 'muted' }, t('cameras.none')),
  );
  for (const [i, c] of shown.entries()) play(tiles[i], c);
  return () => {
    for (const p of players.values()) p.destroy();
  };
}

async function livePage(view, device, channel) {
  const canvas = h('canvas', { class: 'live', id: 'live-canvas', width: 640, height: 360 });
  const state = h('p', { class: 'muted small', id: 'live-state' }, t('events.connecting'));
  const pickBox = h('span', { class: 'live-pick' });
  const title = h('h1', {}, t('cameras.liveTitle', { device, channel }));
  mount(view, h('div', { class: 'row' }, title, pickBox, h('a', { href: '#/cameras', class: 'button' }, t('common.back'))), canvas, state);
  // An NVR: switch to another of its channels without going back to the grid.
  get('/api/ui/cameras')
    .then(({ channels }) => {
      const list = channels.filter((c) => c.device === device);
      // The device's name, as on the grid (the id is what the address carries).
      if (list[0]?.name) title.textContent = t('cameras.liveTitle', { device: list[0].name, channel });
      mount(
        pickBox,
        channelPicker(list, channel, (ch) => (location.hash = `#/cameras/live/${encodeURIComponent(device)}/${ch}`), 'live-channel'),
      );
    })
    .catch(() => {});
  // JSMpeg decodes MPEG-1 in plain JavaScript (no WebAssembly, no plugin), served from this box.
  const { default: JSMpeg } = await import('/ui/vendor/jsmpeg.js');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ui/ws/live/${encodeURIComponent(device)}/${channel}`;
  let frames = 0;
  const player = new JSMpeg.Player(url, {
    canvas,
    audio: false,
    disableWebAssembly: true,
    disableGl: false,
    videoBufferSize: 1024 * 1024,
    onVideoDecode: () => {
      frames++;
      if (frames === 1 || frames % 25 === 0) {
        state.textContent = t('cameras.frames', { count: frames });
        canvas.dataset.frames = String(frames);
      }
    },
  });
  onRefused(player, (code, reason) => {
    state.textContent = refusal(code, reason);
    state.dataset.refused = String(code);
    // Said plainly, not in the small grey status line: the picture will not come.
    state.className = 'notice error';
  });
  // The server says why a stream does not play (camera refused, unreachable); shown under the picture.
  const poll = setInterval(async () => {
    const s = (await get('/api/ui/cameras').catch(() => ({ streams: [] }))).streams.find((x) => x.key === `${device}/${channel}`);
    if (s?.lastError && frames === 0 && !state.dataset.refused) state.textContent = t('cameras.notPlaying', { error: s.lastError });
  }, 3000);
  return () => {
    clearInterval(poll);
    player.destroy();
  };
}

/**
 * A refused socket (4429: a live view limit is reached; 4401: the session ended; 4404: no such
 * channel) says why in its close reason: `then(code, reason)` shows it, and JSMpeg stops
 * reconnecting, which would only be refused again.
 */
function onRefused(player, then) {
  const source = player.source;
  const onClose = source.onClose.bind(source);
  source.onClose = (e) => {
    if (e?.code === 4429 || e?.code === 4401 || e?.code === 4404) {
      source.shouldAttemptReconnect = false;
      then(e.code, e.reason || '');
    }
    onClose(e);
  };
  if (source.socket) {
    source.socket.onclose = source.onClose;
    source.socket.onerror = source.onClose;
  }
}

/**
 * Why the server closed a live view socket, in the user's language. The server's close reason is
 * English (it is also what the log and the security tests read); its wording is fixed in
 * gateway/ui/live-streams.ts and live-sockets.ts, so the page recognises it and says it again.
 */
export function refusal(code, reason) {
  const n = (re) => reason.match(re);
  let m = n(/you already watch (\d+) live views \(at most (\d+)\)/);
  if (m) return t('cameras.refused.perUser', { count: m[1], max: m[2] });
  m = n(/(\d+) live views are open on this gateway \(at most (\d+)\)/);
  if (m) return t('cameras.refused.gateway', { count: m[1], max: m[2] });
  m = n(/(\d+) cameras are streamed live on this gateway \(at most (\d+)\)/);
  if (m) return t('cameras.refused.transcodes', { count: m[1], max: m[2] });
  if (/too many open sockets/.test(reason)) return t('cameras.refused.sockets');
  if (code === 4401 && reason === 'logged out') return t('cameras.refused.loggedOut');
  if (code === 4401 && reason.startsWith('session ended')) return t('cameras.refused.sessionEnded');
  if (code === 4401) return t('cameras.refused.loginFirst');
  if (code === 4404) return t('cameras.refused.noChannel');
  return t('cameras.refused.other', { reason });
}
