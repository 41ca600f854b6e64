import { get } from '../api.js';
import { badge, h, mount, since } from '../dom.js';

export async function camerasPage(view, { args }) {
  if (args[0] === 'live') return livePage(view, args[1], Number(args[2] || 1));
  const { channels } = await get('/api/ui/cameras');
  const grid = h('div', { class: 'grid', id: 'camera-grid' });
  const refresh = () => {
    const t = Date.now();
    for (const img of grid.querySelectorAll('img[data-src]')) img.src = `${img.dataset.src}&t=${t}`;
  };
  mount(
    view,
    h('div', { class: 'row' }, h('h1', {}, `Cameras (${channels.length} channels)`), h('button', { type: 'button', id: 'refresh-snapshots', onclick: refresh }, 'Refresh snapshots')),
    channels.length ? null : h('p', { class: 'muted' }, 'No cameras configured. Add them under Discovery or Devices.'),
    grid,
  );
  for (const c of channels) {
    const src = `/api/ui/cameras/${encodeURIComponent(c.device)}/snapshot?channel=${c.channel}`;
    const img = h('img', { alt: `${c.device} channel ${c.channel}`, loading: 'lazy', dataset: { src } });
    const none = h('span', { class: 'no-picture', hidden: true }, 'no snapshot');
    img.addEventListener('error', () => {
      img.classList.add('failed');
      none.hidden = false;
    });
    img.addEventListener('load', () => {
      img.classList.remove('failed');
      none.hidden = true;
    });
    grid.append(
      h(
        'figure',
        { class: 'cam card', dataset: { device: c.device, channel: c.channel } },
        h('div', { class: 'thumb' }, img, none),
        h(
          'figcaption',
          {},
          h('strong', {}, c.name || c.device),
          ` #${c.channel} `,
          badge(c.status),
          c.reason ? h('div', { class: 'small error-text' }, c.reason) : null,
          h('div', { class: 'small muted' }, `seen ${since(c.lastSeen)}`),
          c.events.length ? h('ul', { class: 'small' }, c.events.map((e) => h('li', {}, `${e.type} ${since(e.ts)}`))) : null,
          h('a', { href: `#/cameras/live/${encodeURIComponent(c.device)}/${c.channel}`, class: 'live-link' }, 'live view'),
        ),
      ),
    );
  }
  refresh();
}

async function livePage(view, device, channel) {
  const canvas = h('canvas', { class: 'live', id: 'live-canvas', width: 640, height: 360 });
  const state = h('p', { class: 'muted small', id: 'live-state' }, 'connecting…');
  mount(view, h('div', { class: 'row' }, h('h1', {}, `${device} #${channel}: live`), h('a', { href: '#/cameras', class: 'button' }, 'Back')), canvas, state);
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
        state.textContent = `live · ${frames} frames`;
        canvas.dataset.frames = String(frames);
      }
    },
  });
  // A refused socket (4429: a live view limit is reached; 4401: the session ended) says why in
  // its close reason: show it and stop JSMpeg's reconnecting, which would only be refused again.
  const source = player.source;
  const onClose = source.onClose.bind(source);
  source.onClose = (e) => {
    if (e?.code === 4429 || e?.code === 4401) {
      source.shouldAttemptReconnect = false;
      state.textContent = e.reason || 'live view refused';
      state.dataset.refused = String(e.code);
    }
    onClose(e);
  };
  if (source.socket) {
    source.socket.onclose = source.onClose;
    source.socket.onerror = source.onClose;
  }
  // The server says why a stream does not play (camera refused, unreachable); shown under the picture.
  const poll = setInterval(async () => {
    const s = (await get('/api/ui/cameras').catch(() => ({ streams: [] }))).streams.find((x) => x.key === `${device}/${channel}`);
    if (s?.lastError && frames === 0 && !state.dataset.refused) state.textContent = `not playing: ${s.lastError} (retrying)`;
  }, 3000);
  return () => {
    clearInterval(poll);
    player.destroy();
  };
}
