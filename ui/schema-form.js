// A form made from the configuration's JSON Schema (z.toJSONSchema of the one zod schema):
// fields, types, limits, defaults, examples and descriptions all come from there.
import { h, problemText } from './dom.js';
import { lang, t, tx } from './i18n.js';

/** A setting's human name in the user's language, with its technical key as a hint. */
const label = (name) => {
  const human = tx('field', name, '');
  return human ? [human, ' ', h('code', { class: 'key' }, name)] : h('code', { class: 'key' }, name);
};
/**
 * The schema's description is English: shown in English, or the translated one when there is one.
 * No description is no help (not the key again: `tx` falls back to the key when given undefined).
 */
const helpText = (name, s) => tx('fieldHelp', name, lang() === 'en' ? (s.description ?? '') : '');

const isSecretRef = (s) => Array.isArray(s?.anyOf) && s.anyOf.some((v) => v.properties?.env) && s.anyOf.some((v) => v.properties?.file);
const variants = (s) => s?.oneOf || s?.anyOf;
const discriminatorOf = (list) => {
  const first = list?.[0]?.properties;
  if (!first) return undefined;
  return Object.keys(first).find((k) => list.every((v) => v.properties?.[k]?.const !== undefined));
};
const example = (s) => (s?.examples?.length ? s.examples[0] : s?.default);
const scalarType = (s) => {
  if (s?.enum) return 'enum';
  const alts = variants(s);
  if (alts?.every((v) => v.const !== undefined)) return 'enum';
  return s?.type;
};

/**
 * Renders `schema` with `value` into a container; returns { el, read() } where read() gives the
 * document (empty fields left out, so the schema's defaults apply) or throws with a field path.
 */
export function schemaForm(schema, value = {}, options = {}) {
  const el = h('div', { class: 'schema-form' });
  let reader = () => ({});
  const alts = variants(schema);
  const key = alts && discriminatorOf(alts);
  if (key) {
    const names = alts.map((v) => v.properties[key].const);
    const prefix = options.prefix ? `${options.prefix}.` : '';
    const select = h(
      'select',
      { name: key, dataset: { path: prefix + key } },
      names.map((n) => h('option', { value: n }, n)),
    );
    select.value = names.includes(value[key]) ? value[key] : options.initial && names.includes(options.initial) ? options.initial : names[0];
    const body = h('div');
    const draw = () => {
      const inner = objectFields(alts[names.indexOf(select.value)], value, options.prefix || '', { skip: key, fold: !options.prefix });
      body.replaceChildren(inner.el);
      reader = () => ({ [key]: select.value, ...inner.read() });
    };
    select.addEventListener('change', () => {
      value = { ...reader(), [key]: select.value };
      draw();
      options.onVariant?.(select.value);
    });
    el.append(field(label(key), select, true), body);
    draw();
  } else {
    const inner = objectFields(schema, value, options.prefix || '', { fold: !options.prefix });
    el.append(inner.el);
    reader = inner.read;
  }
  return { el, read: () => reader() };
}

function objectFields(schema, value, prefix, { skip, fold }) {
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const main = h('div', { class: 'fields' });
  const more = h('div', { class: 'fields' });
  const readers = [];
  for (const [name, s] of Object.entries(props)) {
    if (name === skip) continue;
    const path = prefix ? `${prefix}.${name}` : name;
    if (s.const !== undefined) {
      readers.push(() => [name, s.const]);
      continue;
    }
    const { el, read } = control(name, s, value?.[name], path, required.has(name));
    // Required settings and the common ones first; the rest under "More settings".
    (!fold || required.has(name) || ['name', 'zone', 'profile', 'enabled', 'username', 'password', 'points', 'intervalMs', 'unitId'].includes(name)
      ? main
      : more
    ).append(el);
    readers.push(() => [name, read()]);
  }
  const el = h('div', {}, main, more.childElementCount ? h('details', { class: 'more' }, h('summary', {}, t('form.more')), more) : null);
  return {
    el,
    read: () => {
      const out = {};
      for (const r of readers) {
        const [k, v] = r();
        if (v !== undefined) out[k] = v;
      }
      return out;
    },
  };
}

function field(labelContent, input, required, help) {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'label' }, labelContent, required ? h('b', { class: 'req', title: t('form.required') }, ' *') : null),
    input,
    help ? h('small', { class: 'help' }, help) : null,
    h('small', { class: 'field-error', dataset: { errorFor: input.dataset.path } }),
  );
}

function control(name, s, value, path, required) {
  const help = helpText(name, s);
  if (isSecretRef(s)) {
    const input = h('input', {
      type: 'password',
      name,
      autocomplete: 'new-password',
      dataset: { path },
      placeholder: value ? t('form.secretStored') : t('form.password'),
    });
    return { el: field(label(name), input, required && !value, t('form.secretHelp')), read: () => (input.value ? { $secret: input.value } : undefined) };
  }
  const alts = variants(s);
  const key = alts && discriminatorOf(alts);
  if (key) {
    const box = h('fieldset', { class: 'group' }, h('legend', {}, label(name)));
    const sub = schemaForm(s, value || {}, { prefix: path });
    box.append(sub.el);
    return { el: box, read: () => sub.read() };
  }
  const type = scalarType(s);
  if (type === 'object' && s.properties) {
    const inner = objectFields(s, value || {}, path, { fold: false });
    const box = h('fieldset', { class: 'group' }, h('legend', {}, label(name)), inner.el);
    return {
      el: box,
      read: () => {
        const v = inner.read();
        return Object.keys(v).length ? v : undefined;
      },
    };
  }
  if (type === 'array' && s.items?.properties?.name) return pointsTable(name, s, value, path, required, help);
  if (type === 'array' || type === 'object') {
    const sample = type === 'array' ? [exampleItem(s.items)] : example(s);
    const input = h(
      'textarea',
      { name, rows: 4, spellcheck: 'false', dataset: { path }, placeholder: JSON.stringify(sample ?? {}, null, 1) },
      value === undefined ? '' : JSON.stringify(value, null, 2),
    );
    return {
      el: field(label(name), input, required, `${help ? `${help}; ` : ''}${t('form.json')}`),
      read: () => {
        if (!input.value.trim()) return undefined;
        try {
          return JSON.parse(input.value);
        } catch (err) {
          throw Object.assign(new Error(t('form.badJson', { path, error: err.message })), { path });
        }
      },
    };
  }
  if (type === 'enum') {
    const values = s.enum || alts.map((v) => v.const);
    const select = h(
      'select',
      { name, dataset: { path } },
      required ? null : h('option', { value: '' }, s.default !== undefined ? t('form.defaultOption', { value: tx('enum', s.default) }) : '—'),
      values.map((v) => h('option', { value: String(v) }, name === 'kind' ? tx('kind', v) : tx('enum', v))),
    );
    select.value = value === undefined ? (required ? String(values[0]) : '') : String(value);
    return { el: field(label(name), select, required, help), read: () => (select.value === '' ? undefined : values.find((v) => String(v) === select.value)) };
  }
  if (type === 'boolean') {
    const box = h('input', { type: 'checkbox', name, dataset: { path } });
    box.checked = value === undefined ? s.default === true : Boolean(value);
    return {
      el: h('label', { class: 'field check' }, box, h('span', {}, label(name)), help ? h('small', { class: 'help' }, help) : null),
      read: () => box.checked,
    };
  }
  const numeric = type === 'integer' || type === 'number';
  const ex = example(s);
  const input = h('input', {
    name,
    type: numeric ? 'number' : 'text',
    inputmode: numeric ? (type === 'integer' ? 'numeric' : 'decimal') : undefined,
    step: type === 'integer' ? '1' : numeric ? 'any' : undefined,
    min: s.minimum,
    max: s.maximum,
    maxlength: s.maxLength,
    placeholder: ex === undefined ? '' : t('form.example', { example: typeof ex === 'object' ? JSON.stringify(ex) : ex }),
    autocapitalize: 'off',
    autocomplete: 'off',
    dataset: { path },
  });
  if (value !== undefined && value !== null) input.value = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const limits = numeric && (s.minimum !== undefined || s.maximum !== undefined) ? `${s.minimum ?? ''}..${s.maximum ?? ''}` : '';
  return {
    el: field(
      label(name),
      input,
      required,
      [help, limits && !help?.includes(limits) ? limits : '', s.default !== undefined ? t('form.default', { value: s.default }) : '']
        .filter(Boolean)
        .join(' · '),
    ),
    read: () => {
      const raw = input.value.trim();
      if (raw === '') return undefined;
      if (!numeric) {
        // A field whose schema allows numbers and strings (a Modbus address) keeps numbers numeric.
        if (alts?.some((v) => v.type === 'integer' || v.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
        if (raw.startsWith('{')) {
          try {
            return JSON.parse(raw);
          } catch {
            return raw;
          }
        }
        return raw;
      }
      return Number(raw);
    },
  };
}

/** A text typed in a cell as the schema wants it: numbers stay numbers (a Modbus address may be either). */
function toValue(ps, raw) {
  const type = scalarType(ps);
  if (type === 'integer' || type === 'number') return Number(raw);
  if (variants(ps)?.some((v) => v.type === 'integer' || v.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'enum') return (ps.enum || variants(ps).map((v) => v.const)).find((v) => String(v) === raw);
  if (type === 'boolean') return raw === 'true';
  return raw;
}

/**
 * A list of points as a table: one row per point, the usual settings of this driver as columns
 * (name, the required ones, table/address/type, topic/path, wave, unit, scale), the rest of a
 * point as JSON in its last cell; rows can be added and removed.
 */
function pointsTable(name, s, value, path, required, help) {
  const props = s.items.properties;
  const wanted = ['name', ...(s.items.required || []), 'table', 'address', 'type', 'topic', 'path', 'wave', 'min', 'max', 'unit', 'scale'];
  const cols = [...new Set(wanted)].filter((k) => props[k] && !['object', 'array'].includes(scalarType(props[k])) && !props[k].properties).slice(0, 8);
  const body = h('tbody');
  const addRow = (item = {}) => {
    const cells = cols.map((k) => {
      const ps = props[k];
      const type = scalarType(ps);
      let input;
      if (type === 'enum') {
        const values = ps.enum || variants(ps).map((v) => v.const);
        input = h(
          'select',
          { name: k, 'aria-label': k },
          h('option', { value: '' }, '—'),
          values.map((v) => h('option', { value: String(v) }, tx('enum', v))),
        );
        input.value = item[k] === undefined ? '' : String(item[k]);
      } else {
        const numeric = type === 'integer' || type === 'number';
        input = h('input', {
          name: k,
          'aria-label': k,
          size: numeric ? 6 : 10,
          inputmode: numeric ? 'decimal' : undefined,
          autocomplete: 'off',
          autocapitalize: 'off',
        });
        input.value = item[k] === undefined ? '' : String(item[k]);
      }
      return { k, ps, input };
    });
    const rest = Object.fromEntries(Object.entries(item).filter(([k]) => !cols.includes(k)));
    const more = h('input', { class: 'more-json', name: 'more', 'aria-label': t('form.pointMore'), placeholder: '{ }', autocomplete: 'off' });
    more.value = Object.keys(rest).length ? JSON.stringify(rest) : '';
    const tr = h(
      'tr',
      { class: 'point-row' },
      cells.map((c) => h('td', { 'data-label': tx('field', c.k, c.k) }, c.input)),
      h('td', { 'data-label': t('form.pointMore') }, more),
    );
    tr.append(h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => tr.remove() }, t('form.removePoint'))));
    tr.read = (i) => {
      const o = {};
      for (const c of cells) {
        const raw = c.input.value.trim();
        if (raw !== '') o[c.k] = toValue(c.ps, raw);
      }
      if (more.value.trim()) {
        try {
          Object.assign(o, JSON.parse(more.value));
        } catch (err) {
          throw Object.assign(new Error(t('form.badJson', { path: `${path}[${i}]`, error: err.message })), { path });
        }
      }
      return o;
    };
    body.append(tr);
  };
  for (const item of Array.isArray(value) ? value : []) addRow(item);
  // The button outside the scrolling part: on a phone the table scrolls sideways, the button stays.
  const table = h(
    'div',
    { dataset: { path } },
    h(
      'div',
      { class: 'table-wrap points-table' },
      h(
        'table',
        { class: 'compact' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            cols.map((k) => h('th', {}, label(k))),
            h('th', {}, t('form.pointMore')),
            h('th', {}),
          ),
        ),
        body,
      ),
    ),
    h('button', { type: 'button', class: 'add-point', onclick: () => addRow() }, t('form.addPoint')),
  );
  return {
    el: field(label(name), table, required, help),
    read: () => {
      const rows = [...body.children].map((tr, i) => tr.read(i)).filter((o) => Object.keys(o).length);
      return rows.length ? rows : undefined;
    },
  };
}

function exampleItem(items) {
  if (!items?.properties) return example(items) ?? {};
  const out = {};
  for (const k of items.required || []) out[k] = example(items.properties[k]) ?? '';
  return out;
}

/** Puts the server's problems next to their fields; returns those with no field on the form. */
export function showProblems(root, problems) {
  for (const e of root.querySelectorAll('.field-error')) e.textContent = '';
  for (const e of root.querySelectorAll('.invalid')) e.classList.remove('invalid');
  const rest = [];
  for (const p of problems || []) {
    const path = p.field || p.path;
    const base = String(path).replace(/\[\d+\].*$/, '');
    const target = root.querySelector(`[data-error-for="${CSS.escape(path)}"]`) || root.querySelector(`[data-error-for="${CSS.escape(base)}"]`);
    if (target) {
      target.textContent = `${problemText(p.message)}${p.example !== undefined ? ` ${t('problem.example', { example: JSON.stringify(p.example) })}` : ''}${base !== path ? ` ${t('problem.at', { path })}` : ''}`;
      root.querySelector(`[data-path="${CSS.escape(target.dataset.errorFor)}"]`)?.classList.add('invalid');
    } else rest.push(p);
  }
  return rest;
}
