// Channels page: the other channels rampartd judges besides mail, from
// GET /api/channels (src/console/console.h channels_json): the calls API's
// incidents (callers, trunks and networks tagged or blocked, as GET
// /v1/calls/incidents), the SMS/IM senders' classes (as GET
// /v1/messages/senders) and the verdict counts of each from the metrics.
// A channel that is off says how to turn it on. No external requests.

export async function drawChannels(app, { el, api, fmt, timers }) {
  const calls = el('section', { class: 'card', id: 'calls' });
  const messages = el('section', { class: 'card', id: 'messages' });
  app.replaceChildren(el('h1', {}, 'Channels'), calls, messages);
  const when = (t) => (t ? new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '–');
  // replaceChildren would write a null as the text "null".
  const show = (box, ...children) => box.replaceChildren(...children.filter((c) => c));
  const counts = (m) => {
    const keys = Object.keys(m || {});
    return keys.length ? keys.map((k) => `${k} ${fmt(m[k])}`).join(', ') : 'none yet';
  };

  function drawCalls(c) {
    if (!c.enabled) {
      calls.replaceChildren(el('h2', {}, 'Calls'), el('p', { id: 'calls-off' },
        'The calls API is off: set [calls] enabled (docs/guide.md, section 10, "Calls").'));
      return;
    }
    const list = c.incidents || [];
    show(calls, el('h2', {}, 'Calls'),
      el('p', { id: 'calls-counts' }, 'Calls assessed by action: ' + counts(c.counts)),
      c.busy ? el('p', { class: 'error' }, 'The calls service was busy; incidents on the next refresh.') : null,
      list.length === 0 ? el('p', { class: 'muted', id: 'calls-none' }, 'No caller, trunk or network flagged.')
        : el('table', { id: 'calls-table' },
          el('thead', {}, el('tr', {}, el('th', {}, 'caller / trunk / network'), el('th', {}, 'action'),
            el('th', {}, 'reasons'), el('th', { class: 'num' }, 'attempts'), el('th', {}, 'since'), el('th', {}, 'last seen'))),
          el('tbody', {}, list.map((i) => el('tr', { 'data-key': i.key, 'data-action': i.action },
            el('td', { class: 'call-key' }, i.key), el('td', { class: 'call-action' }, i.action),
            el('td', {}, Array.isArray(i.reasons) ? i.reasons.join('; ') : String(i.reasons ?? '')),
            el('td', { class: 'num' }, fmt(i.attempts)), el('td', {}, when(i.first_seen)), el('td', {}, when(i.last_seen)))))));
  }

  function drawMessages(m) {
    if (!m.enabled) {
      messages.replaceChildren(el('h2', {}, 'SMS and instant messages'), el('p', { id: 'messages-off' },
        'The messages API is off: set [messages] enabled ([messages] in deploy/rampartd/rampart.toml).'));
      return;
    }
    const list = m.senders || [];
    const byChannel = Object.keys(m.counts || {});
    show(messages, el('h2', {}, 'SMS and instant messages'),
      el('p', { id: 'messages-counts' }, byChannel.length
        ? 'Messages judged: ' + byChannel.map((ch) => `${ch}: ${counts(m.counts[ch])}`).join(' — ')
        : 'No message judged yet', `; complaints recorded: ${fmt(m.complaints || 0)}.`),
      m.busy ? el('p', { class: 'error' }, 'The messages service was busy; senders on the next refresh.') : null,
      list.length === 0 ? el('p', { class: 'muted', id: 'senders-none' }, 'No sender classed.')
        : el('table', { id: 'senders-table' },
          el('thead', {}, el('tr', {}, el('th', {}, 'channel'), el('th', {}, 'sender'), el('th', {}, 'class'),
            el('th', { class: 'num' }, 'messages'), el('th', { class: 'num' }, 'recipients'),
            el('th', { class: 'num' }, 'unanswered'), el('th', { class: 'num' }, 'complaints'))),
          el('tbody', {}, list.map((s) => el('tr', { 'data-sender': s.sender, 'data-class': s.class },
            el('td', {}, s.channel), el('td', { class: 'sender-id' }, s.sender), el('td', { class: 'sender-class' }, s.class),
            el('td', { class: 'num' }, fmt(s.messages)), el('td', { class: 'num' }, fmt(s.recipients)),
            el('td', { class: 'num' }, fmt(s.unanswered)), el('td', { class: 'num' }, fmt(s.complaints)))))));
  }

  async function refresh() {
    const r = await api('GET', '/api/channels');
    if (r.status !== 200) {
      calls.replaceChildren(el('p', { class: 'error' }, `failed (${r.status})`));
      return;
    }
    drawCalls(r.data.calls);
    drawMessages(r.data.messages);
  }

  await refresh();
  timers.push(setInterval(refresh, 5000));
}
