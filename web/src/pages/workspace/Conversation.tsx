import { useCallback, useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { Alert, App, Button, Collapse, Dropdown, Form, Input, Result, Segmented, Select, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { CheckCircleOutlined, DownOutlined, LoadingOutlined, PaperClipOutlined, SendOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus, useTyping } from '../../realtime.tsx';
import { ActionDialog, type ActionKind } from './Actions.tsx';
import {
  INTAKE_FIELDS,
  PRIORITIES,
  PRIORITY_COLOURS,
  STATUS_COLOURS,
  asApiError,
  formatDuration,
  formatTime,
  isAbort,
  mayStillSee,
  type Conversation as ConversationT,
  type IntakeField,
  type Message,
  type Priority,
  type ProblemType,
  type SlaTarget,
  type Status,
} from './shared.ts';
import type { ApiError } from '../../api/client.ts';

type Canned = Reply<'get', '/api/canned-replies'>[number];
type Attachment = Reply<'post', '/api/conversations/{id}/attachments'>;
type Mode = 'reply' | 'note';

/** The commands the workspace's keyboard shortcuts call on the open conversation. */
export interface ConversationHandle {
  focusReply(mode: Mode): void;
  /** Adds text (a knowledge article's link or body) to the reply box, for the agent to edit and send; false when there is no reply box. */
  insert(text: string): boolean;
  claim(): void;
  resolve(): void;
}

/** A web-chat customer's typing shows until about 6 s after their last keystroke (docs/realtime.md). */
const TYPING_MS = 6000;
/** How often the agent's own typing is told to the customer while they write. */
const AGENT_TYPING_EVERY_MS = 3000;
/** The server takes at most this many files with one message. */
const MAX_ATTACHMENTS = 10;

/** "/" or "/关键词" alone at the start of the reply box: the canned replies it matches. */
function slashMatches(text: string, canned: Canned[]): Canned[] | null {
  const m = /^\/(\S*)$/.exec(text);
  if (!m) return null;
  const word = m[1]!.toLowerCase();
  return canned.filter((c) => [c.shortcut, c.title, c.category].some((x) => x?.toLowerCase().includes(word)));
}

export function ConversationPane({
  id,
  names,
  problemTypes,
  handle,
  onGone,
}: {
  id: string;
  names: ReadonlyMap<string, string>;
  problemTypes: ProblemType[];
  handle: Ref<ConversationHandle>;
  /** The conversation left the agent's sight (transferred away). */
  onGone(): void;
}) {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const { generation } = useRealtimeStatus();
  const [conv, setConv] = useState<ConversationT | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [targets, setTargets] = useState<SlaTarget[]>([]);
  const [targetsAt, setTargetsAt] = useState(Date.now());
  const [error, setError] = useState<ApiError | null>(null);
  const [customerTyping, setCustomerTyping] = useState(false);
  const [action, setAction] = useState<ActionKind | null>(null);
  const [intakeOpen, setIntakeOpen] = useState(false);
  const [intakeForm] = Form.useForm<{ problemType: string | null } & Partial<Record<IntakeField, string>>>();
  const replyRef = useRef<ReplyHandle>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const canHandle = me.permissions.includes('conversations.handle');
  const canWriteKnowledge = me.permissions.includes('knowledge.write');

  const loadTargets = useCallback(async (signal?: AbortSignal) => {
    try {
      const { data } = await api.get('/api/conversations/{id}/sla-targets', { path: { id }, signal });
      setTargets(data);
      setTargetsAt(Date.now());
    } catch (err) {
      if (!isAbort(err)) setError(asApiError(err));
    }
  }, [id]);

  // The conversation, all its messages (paged by cursor) and its SLA clocks; again after a reconnection.
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setConv(null);
    setMessages([]);
    setTargets([]);
    setError(null);
    setCustomerTyping(false);
    (async () => {
      const c = await api.get('/api/conversations/{id}', { path: { id }, signal });
      setConv(c);
      const all: Message[] = [];
      let cursor: string | null = null;
      do {
        const page: Reply<'get', '/api/conversations/{id}/messages'> = await api.get('/api/conversations/{id}/messages', { path: { id }, query: { limit: 200, ...(cursor ? { cursor } : {}) }, signal });
        all.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      setMessages(all);
      await loadTargets(signal);
    })().catch((err: unknown) => {
      if (!isAbort(err)) setError(asApiError(err));
    });
    return () => controller.abort();
  }, [id, generation, loadTargets]);

  useEffect(() => {
    if (!conv) return;
    intakeForm.setFieldsValue({ problemType: conv.problemType, ...Object.fromEntries(INTAKE_FIELDS.map((f) => [f, conv.intake[f] ?? ''])) });
  }, [conv, intakeForm]);

  // The newest message stays in sight.
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages.length, customerTyping]);

  // SLA countdowns tick here; the server's figures are fetched again on every change of the case.
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);

  const gone = useRef(false);
  useRealtimeEvents(['conversation.', 'message.created'], (e) => {
    if (gone.current) return;
    if (e.event === 'message.created') {
      const m = e.data as unknown as Message | null;
      if (m?.conversationId !== id) return;
      setMessages((ms) => (ms.some((x) => x.id === m.id) ? ms : [...ms, m].sort((a, b) => (a.id < b.id ? -1 : 1))));
      if (m.author === 'customer') setCustomerTyping(false);
      // Replies start and stop response clocks; notes and system lines do not.
      if (m.author === 'customer' || m.author === 'agent') void loadTargets();
      return;
    }
    if (e.entity.id !== id || !e.data) return;
    const next = e.data as unknown as ConversationT;
    // Handed to someone else (a transfer): the server no longer shows it to this agent.
    if (!mayStillSee(me, next)) {
      gone.current = true;
      return onGone();
    }
    setConv(next);
    void loadTargets();
  });

  useTyping((frame) => {
    if (frame.conversationId !== id || frame.author !== 'customer') return;
    clearTimeout(typingTimer.current);
    setCustomerTyping(frame.on);
    if (frame.on) typingTimer.current = setTimeout(() => setCustomerTyping(false), TYPING_MS);
  });
  useEffect(() => () => clearTimeout(typingTimer.current), []);

  const run = useCallback(
    async (work: () => Promise<ConversationT | unknown>, done?: string) => {
      try {
        const result = await work();
        if (result && typeof result === 'object' && 'status' in result && 'number' in result) setConv(result as ConversationT);
        if (done) void message.success(done);
        return true;
      } catch (err) {
        const e = asApiError(err);
        // Resolving without the intake the policy requires: open the form on the missing field.
        if (e.field === 'problemType' || e.field?.startsWith('intake.')) {
          setIntakeOpen(true);
          const name = (e.field === 'problemType' ? 'problemType' : e.field.slice('intake.'.length)) as 'problemType' | IntakeField;
          intakeForm.setFields([{ name, errors: [e.message] }]);
        }
        void message.error(e.message);
        return false;
      }
    },
    [intakeForm, message],
  );

  const claim = useCallback(() => void run(() => api.post('/api/conversations/{id}/claims', { path: { id } }), t('workspace.claimed')), [id, run, t]);
  const setStatus = useCallback(
    (status: Status) => void run(() => api.post('/api/conversations/{id}/status', { path: { id }, body: { status } }), t('workspace.statusChanged', { status: t(`workspace.status.${status}`) })),
    [id, run, t],
  );

  useImperativeHandle(handle, () => ({
    focusReply: (mode) => replyRef.current?.focus(mode),
    insert: (text) => replyRef.current?.insert(text) ?? false,
    claim: () => conv && canHandle && conv.assigneeId === null && claim(),
    resolve: () => conv && canHandle && !['resolved', 'closed'].includes(conv.status) && setStatus('resolved'),
  }));

  if (error && !conv) return <Result status="warning" title={error.message} />;
  if (!conv) return <Spin aria-label={t('common.loading')} style={{ display: 'block', margin: 48 }} />;

  const type = problemTypes.find((p) => p.code === conv.problemType);
  const active = !['resolved', 'closed'].includes(conv.status);
  const mineOrFree = conv.assigneeId === null || conv.assigneeId === me.id || me.permissions.includes('conversations.assign');
  const assignee = conv.assigneeId ? (names.get(conv.assigneeId) ?? t('workspace.someone')) : t('workspace.waiting');

  async function saveIntake(v: { problemType: string | null } & Partial<Record<IntakeField, string>>) {
    // A field emptied by the agent is sent as "" (the API clears it); untouched empty ones are left out. The
    // contact arrives masked, so it is sent only when retyped or emptied.
    const intake = Object.fromEntries(
      INTAKE_FIELDS.map((f) => [f, (v[f] ?? '').trim()] as const).filter(([f, value]) => (value ? f !== 'contact' || value !== conv!.intake.contact : Boolean(conv!.intake[f]))),
    );
    await run(() => api.patch('/api/conversations/{id}', { path: { id }, body: { problemType: v.problemType ?? null, intake } }), t('workspace.intake.saved'));
  }

  /** K3: the solved case becomes a draft article for the knowledge base, personal data stripped by the server. */
  async function draftCase() {
    try {
      const a = await api.post('/api/conversations/{id}/articles', { path: { id } });
      void message.success(t('workspace.knowledge.caseCreated', { number: a.number, title: a.open?.title ?? a.title }));
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  const moreItems = [
    { key: 'transfer', label: t('workspace.action.transfer') },
    { key: 'escalate', label: t('workspace.action.escalate') },
    { key: 'handoff', label: t('workspace.action.handoff') },
    { key: 'followUp', label: t('workspace.action.followUp') },
    { type: 'divider' as const },
    { key: 'pending_customer', label: t('workspace.toStatus.pending_customer'), disabled: conv.status === 'pending_customer' },
    { key: 'pending_internal', label: t('workspace.toStatus.pending_internal'), disabled: conv.status === 'pending_internal' },
  ];

  return (
    <section aria-label={t('workspace.conversation', { number: conv.number })} style={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }} data-testid="conversation" data-conversation-id={conv.id}>
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'flex-start', gap: 8, flexWrap: 'wrap' }}>
        <div style={{ minWidth: 0 }}>
          <Typography.Title level={4} style={{ margin: 0 }} ellipsis>
            #{conv.number} {conv.subject ?? t('workspace.noSubject')}
          </Typography.Title>
          <Space size={4} wrap style={{ marginTop: 4 }}>
            <Tag color={STATUS_COLOURS[conv.status]} data-testid="conversation-status">
              {t(`workspace.status.${conv.status}`)}
            </Tag>
            <Tag>{t(`workspace.channel.${conv.channel}`)}</Tag>
            <Select<Priority>
              size="small"
              variant="borderless"
              aria-label={t('workspace.filter.priority')}
              value={conv.priority}
              disabled={!canHandle || conv.status === 'closed'}
              onChange={(priority) => void run(() => api.patch('/api/conversations/{id}', { path: { id }, body: { priority } }))}
              options={PRIORITIES.map((p) => ({ value: p, label: <Tag color={PRIORITY_COLOURS[p]}>{t(`workspace.priority.${p}`)}</Tag> }))}
              style={{ minWidth: 90 }}
            />
            <Typography.Text type="secondary" data-testid="conversation-assignee">
              {t('workspace.assignee')}：{assignee}
            </Typography.Text>
            {conv.supportLevel > 1 && <Tag color="orange">{t('workspace.supportLevel', { level: conv.supportLevel })}</Tag>}
            {conv.followUpDueAt && <Tag color="magenta">{t('workspace.followUpAt', { time: formatTime(conv.followUpDueAt) })}</Tag>}
          </Space>
        </div>
        {canHandle && (
          <Space wrap size={4}>
            {conv.assigneeId === null && active && (
              <Button type="primary" onClick={claim} data-testid="claim">
                {t('workspace.claim')}
              </Button>
            )}
            {conv.channel === 'phone' && conv.firstResponseAt && !conv.greetedAt && active && (
              <Button onClick={() => void run(() => api.post('/api/conversations/{id}/milestones', { path: { id }, body: { milestone: 'greeted' } }))}>{t('workspace.greeted')}</Button>
            )}
            {conv.channel === 'phone' && conv.firstResponseAt && !conv.problemConfirmedAt && active && (
              <Button icon={<CheckCircleOutlined />} onClick={() => void run(() => api.post('/api/conversations/{id}/milestones', { path: { id }, body: { milestone: 'problem_confirmed' } }), t('workspace.problemConfirmedDone'))}>
                {t('workspace.problemConfirmed')}
              </Button>
            )}
            {active && mineOrFree && (
              <Button onClick={() => setStatus('resolved')} data-testid="resolve">
                {t('workspace.resolve')}
              </Button>
            )}
            {conv.status === 'resolved' && <Button onClick={() => setStatus('closed')}>{t('workspace.close')}</Button>}
            {!active && <Button onClick={() => setStatus('open')}>{t('workspace.reopen')}</Button>}
            {((active && mineOrFree) || (!active && canWriteKnowledge)) && (
              <Dropdown
                trigger={['click']}
                menu={{
                  items: active ? moreItems : [{ key: 'case', label: t('workspace.knowledge.draftCase') }],
                  onClick: ({ key }) =>
                    key === 'case' ? void draftCase() : ['transfer', 'escalate', 'handoff', 'followUp'].includes(key) ? setAction(key as ActionKind) : setStatus(key as Status),
                }}
              >
                <Button data-testid="more-actions">
                  {t('workspace.more')} <DownOutlined />
                </Button>
              </Dropdown>
            )}
          </Space>
        )}
      </div>

      <SlaBar targets={targets} fetchedAt={targetsAt} />

      <Collapse
        size="small"
        activeKey={intakeOpen ? ['intake'] : []}
        onChange={(keys) => setIntakeOpen(keys.includes('intake'))}
        style={{ margin: '8px 0' }}
        items={[
          {
            key: 'intake',
            // Rendered while folded too: the form is filled from the conversation and takes errors from a resolve.
            forceRender: true,
            label: (
              <Space size={6}>
                {t('workspace.intake.title')}
                {type ? <Tag>{type.name}</Tag> : <Typography.Text type="secondary">{t('workspace.intake.noType')}</Typography.Text>}
              </Space>
            ),
            children: <IntakeForm form={intakeForm} problemTypes={problemTypes} disabled={!canHandle || conv.status === 'closed'} onFinish={saveIntake} />,
          },
        ]}
      />

      <div ref={listRef} role="log" aria-label={t('workspace.messages')} data-testid="message-list" style={{ flex: 1, minHeight: 0, overflowY: 'auto', padding: '8px 4px', background: '#fafafa', borderRadius: 6 }}>
        {messages.length === 0 && <Typography.Text type="secondary">{t('workspace.noMessages')}</Typography.Text>}
        {messages.map((m) => (
          <MessageItem key={m.id} m={m} names={names} />
        ))}
        {customerTyping && (
          <Typography.Text type="secondary" italic data-testid="customer-typing" role="status">
            {t('workspace.customerTyping')}
          </Typography.Text>
        )}
      </div>

      {canHandle && conv.status !== 'closed' && <ReplyBox ref={replyRef} conv={conv} onSent={(m) => setMessages((ms) => (ms.some((x) => x.id === m.id) ? ms : [...ms, m]))} />}
      {conv.status === 'closed' && <Alert type="info" showIcon title={t('workspace.closedHint')} style={{ marginTop: 8 }} />}
      <ActionDialog kind={action} conversation={conv} onClose={() => setAction(null)} onDone={() => setAction(null)} />
    </section>
  );
}

function SlaBar({ targets, fetchedAt }: { targets: SlaTarget[]; fetchedAt: number }) {
  const { t } = useTranslation();
  const shown = targets.filter((x) => x.status !== 'cancelled');
  if (shown.length === 0) return null;
  const since = (Date.now() - fetchedAt) / 1000;
  return (
    <Space size={4} wrap style={{ marginTop: 8 }} data-testid="sla" aria-label={t('workspace.sla.label')} role="group">
      {shown.map((x) => {
        const running = x.status === 'running';
        const remaining = x.remainingSeconds - (running ? since : 0);
        const elapsed = x.elapsedSeconds + (running ? since : 0);
        const colour = x.status === 'met' ? 'green' : x.status === 'breached' || remaining < 0 ? 'red' : x.status === 'paused' ? 'default' : remaining < x.targetSeconds * 0.2 ? 'orange' : 'blue';
        const state =
          x.status === 'met'
            ? t('workspace.sla.met')
            : x.status === 'breached' || remaining < 0
              ? t('workspace.sla.breached', { time: formatDuration(-remaining) })
              : x.status === 'paused'
                ? t('workspace.sla.paused', { time: formatDuration(remaining) })
                : t('workspace.sla.remaining', { time: formatDuration(remaining) });
        return (
          <Tooltip key={x.id} title={t('workspace.sla.detail', { elapsed: formatDuration(elapsed), target: formatDuration(x.targetSeconds), due: formatTime(x.dueAt) })}>
            <Tag color={colour} data-testid={`sla-${x.metric}`}>
              {t(`workspace.sla.metric.${x.metric}`)}
              {x.seq > 1 ? ` #${x.seq}` : ''} · {state}
            </Tag>
          </Tooltip>
        );
      })}
    </Space>
  );
}

function IntakeForm({
  form,
  problemTypes,
  disabled,
  onFinish,
}: {
  form: ReturnType<typeof Form.useForm<{ problemType: string | null } & Partial<Record<IntakeField, string>>>>[0];
  problemTypes: ProblemType[];
  disabled: boolean;
  onFinish(v: { problemType: string | null } & Partial<Record<IntakeField, string>>): Promise<void>;
}) {
  const { t } = useTranslation();
  const code = Form.useWatch('problemType', form);
  const required = new Set(problemTypes.find((p) => p.code === code)?.requiredFields ?? []);
  return (
    <Form form={form} layout="vertical" size="small" disabled={disabled} onFinish={onFinish} data-testid="intake-form">
      <Form.Item label={t('workspace.intake.problemType')} name="problemType" rules={[{ required: true, message: t('workspace.intake.problemTypeRequired') }]}>
        <Select showSearch={{ optionFilterProp: 'label' }} allowClear options={problemTypes.map((p) => ({ value: p.code, label: p.name }))} />
      </Form.Item>
      {INTAKE_FIELDS.map((f) => (
        <Form.Item
          key={f}
          label={t(`workspace.intake.${f}`)}
          name={f}
          required={required.has(f)}
          rules={required.has(f) ? [{ required: true, whitespace: true, message: t('workspace.action.required', { label: t(`workspace.intake.${f}`) }) }] : []}
          extra={f === 'contact' ? t('workspace.intake.contactMasked') : undefined}
        >
          {f === 'problemDescription' ? <Input.TextArea rows={2} maxLength={5000} /> : <Input maxLength={100} />}
        </Form.Item>
      ))}
      <Button type="primary" htmlType="submit">
        {t('workspace.intake.save')}
      </Button>
    </Form>
  );
}

function MessageItem({ m, names }: { m: Message; names: ReadonlyMap<string, string> }) {
  const { t } = useTranslation();
  if (m.author === 'system') {
    return (
      <div data-testid="message" data-author="system" style={{ textAlign: 'center', margin: '6px 0' }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {m.body} · {formatTime(m.createdAt)}
        </Typography.Text>
      </div>
    );
  }
  const mine = m.author === 'agent' || m.author === 'note';
  const note = m.author === 'note';
  const who = m.author === 'customer' ? t('workspace.author.customer') : note && !m.staffId ? t('workspace.author.system') : (m.staffId && names.get(m.staffId)) || t('workspace.author.agent');
  return (
    <div data-testid="message" data-author={m.author} style={{ display: 'flex', justifyContent: mine ? 'flex-end' : 'flex-start', margin: '6px 0' }}>
      <div
        style={{
          maxWidth: '75%',
          padding: '6px 10px',
          borderRadius: 8,
          background: note ? '#fffbe6' : mine ? '#e6f4ff' : '#fff',
          border: `1px ${note ? 'dashed #faad14' : 'solid #f0f0f0'}`,
        }}
      >
        <div style={{ fontSize: 12, marginBottom: 2 }}>
          {note && (
            <Tag color="gold" style={{ marginInlineEnd: 4 }}>
              {t('workspace.internalNote')}
            </Tag>
          )}
          <Typography.Text type="secondary">
            {who} · {formatTime(m.createdAt)}
          </Typography.Text>
          {m.delivery?.state === 'failed' && (
            <Tooltip title={m.delivery.error}>
              <Tag color="red" style={{ marginInlineStart: 4 }}>
                {t('workspace.deliveryFailed')}
              </Tag>
            </Tooltip>
          )}
        </div>
        <div style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{m.body}</div>
        {m.attachments.map((a) => (
          <div key={a.id}>
            <a href={`/api/attachments/${a.id}`} download={a.fileName}>
              <PaperClipOutlined /> {a.fileName} <Typography.Text type="secondary">({Math.max(1, Math.round(a.size / 1024))} KB)</Typography.Text>
            </a>
          </div>
        ))}
      </div>
    </div>
  );
}

interface ReplyHandle {
  focus(mode: Mode): void;
  insert(text: string): true;
}

/**
 * The reply box: answer the customer or write an internal note (visibly different), attach files
 * (button, paste or drop), insert a canned reply with its variables filled for this conversation
 * (from the list, or "/" at the start of the box), send with Ctrl+Enter.
 */
function ReplyBox({ conv, onSent, ref }: { conv: ConversationT; onSent(m: Message): void; ref: Ref<ReplyHandle> }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [mode, setMode] = useState<Mode>('reply');
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [canned, setCanned] = useState<Canned[]>([]);
  const [files, setFiles] = useState<Attachment[]>([]);
  const [uploading, setUploading] = useState<string[]>([]);
  const [picked, setPicked] = useState(0);
  const [slashClosed, setSlashClosed] = useState(false);
  const area = useRef<HTMLTextAreaElement | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const lastTyping = useRef(0);

  useImperativeHandle(ref, () => ({
    focus(m) {
      setMode(m);
      area.current?.focus();
    },
    insert(more) {
      setText((x) => (x ? `${x}${x.endsWith('\n') ? '' : '\n'}${more}` : more));
      area.current?.focus();
      return true;
    },
  }));

  useEffect(() => {
    const controller = new AbortController();
    api.get('/api/canned-replies', { signal: controller.signal }).then(setCanned, (err: unknown) => {
      if (!isAbort(err)) void message.error(asApiError(err).message);
    });
    return () => controller.abort();
  }, [message]);

  useEffect(() => {
    setText('');
    setMode('reply');
    setFiles([]);
  }, [conv.id]);

  const slash = slashClosed ? null : slashMatches(text, canned);
  const slashId = `slash-${conv.id}`;

  // The web-chat customer sees "客服正在输入…" while the agent writes a reply (not a note).
  function typing(on: boolean) {
    if (conv.channel !== 'chat') return;
    const now = Date.now();
    if (on && now - lastTyping.current < AGENT_TYPING_EVERY_MS) return;
    lastTyping.current = on ? now : 0;
    api.post('/api/conversations/{id}/typing', { path: { id: conv.id }, body: { on } }).catch(() => undefined);
  }

  /** Renders the canned reply for this conversation; from "/" it replaces the command, else it is added. */
  async function insertCanned(cannedId: string, replace = false) {
    try {
      const r = await api.post('/api/canned-replies/{id}/renderings', { path: { id: cannedId }, body: { conversationId: conv.id } });
      setText((x) => (replace || !x ? r.text : `${x}${x.endsWith('\n') ? '' : '\n'}${r.text}`));
      if (r.missing.length) void message.warning(t('workspace.cannedMissing', { fields: r.missing.join('、') }));
      area.current?.focus();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  /** Each file goes up on its own; the server says why one is refused (too large, a type it does not take). */
  async function attach(list: FileList | File[]) {
    const chosen = [...list].slice(0, Math.max(0, MAX_ATTACHMENTS - files.length - uploading.length));
    await Promise.all(
      chosen.map(async (file) => {
        setUploading((u) => [...u, file.name]);
        try {
          const form = new FormData();
          form.append('file', file, file.name);
          const a = await api.upload('/api/conversations/{id}/attachments', { path: { id: conv.id } }, form);
          setFiles((f) => [...f, a]);
        } catch (err) {
          void message.error(t('workspace.uploadFailed', { name: file.name, reason: asApiError(err).message }));
        } finally {
          setUploading((u) => {
            const i = u.indexOf(file.name);
            return [...u.slice(0, i), ...u.slice(i + 1)];
          });
        }
      }),
    );
  }

  async function send() {
    // Files alone go with their names as the text (the server wants some).
    const body = text.trim() || (files.length ? t('workspace.attachmentBody', { names: files.map((f) => f.fileName).join('、') }) : '');
    if (!body || sending || uploading.length) return;
    setSending(true);
    try {
      const m = await api.post('/api/conversations/{id}/messages', {
        path: { id: conv.id },
        body: { body, internal: mode === 'note', clientId: crypto.randomUUID(), ...(files.length ? { attachmentIds: files.map((f) => f.id) } : {}) },
      });
      onSent(m);
      setText('');
      setFiles([]);
      if (mode === 'reply') typing(false);
    } catch (err) {
      void message.error(asApiError(err).message);
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(e: React.KeyboardEvent<HTMLTextAreaElement>) {
    if (slash && slash.length > 0 && ['ArrowDown', 'ArrowUp', 'Enter', 'Tab'].includes(e.key) && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      const at = Math.min(picked, slash.length - 1);
      if (e.key === 'ArrowDown') setPicked((at + 1) % slash.length);
      else if (e.key === 'ArrowUp') setPicked((at - 1 + slash.length) % slash.length);
      else void insertCanned(slash[at]!.id, true);
      return;
    }
    if (slash && e.key === 'Escape') {
      e.preventDefault();
      setSlashClosed(true);
      return;
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void send();
    }
  }

  const note = mode === 'note';
  const busy = uploading.length > 0;
  return (
    <div
      data-testid="reply-box"
      data-mode={mode}
      onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()}
      onDrop={(e) => {
        if (!e.dataTransfer.files.length) return;
        e.preventDefault();
        void attach(e.dataTransfer.files);
      }}
      style={{ position: 'relative', marginTop: 8, padding: 8, borderRadius: 6, border: `1px ${note ? 'dashed #faad14' : 'solid #d9d9d9'}`, background: note ? '#fffbe6' : '#fff' }}
    >
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, marginBottom: 6, flexWrap: 'wrap' }}>
        <Segmented<Mode>
          size="small"
          aria-label={t('workspace.replyMode')}
          value={mode}
          onChange={setMode}
          options={[
            { value: 'reply', label: t('workspace.modeReply') },
            { value: 'note', label: t('workspace.modeNote') },
          ]}
        />
        <Select<string>
          size="small"
          showSearch={{ optionFilterProp: 'label' }}
          aria-label={t('workspace.canned')}
          placeholder={t('workspace.canned')}
          value={null}
          style={{ minWidth: 180 }}
          onChange={(v) => v && void insertCanned(v)}
          options={canned.map((c) => ({ value: c.id, label: c.shortcut ? `/${c.shortcut} ${c.title}` : c.title, title: c.body }))}
          notFoundContent={t('workspace.noCanned')}
        />
      </div>
      {slash && (
        <div
          id={slashId}
          role="listbox"
          aria-label={t('workspace.canned')}
          data-testid="slash-canned"
          style={{ position: 'absolute', bottom: '100%', left: 8, right: 8, maxHeight: 240, overflowY: 'auto', background: '#fff', border: '1px solid #d9d9d9', borderRadius: 6, boxShadow: '0 6px 16px rgba(0,0,0,0.08)', zIndex: 10 }}
        >
          {slash.length === 0 && <div style={{ padding: '6px 10px', color: 'rgba(0,0,0,0.45)' }}>{t('workspace.noCannedMatch')}</div>}
          {slash.map((c, i) => (
            <div
              key={c.id}
              id={`${slashId}-${c.id}`}
              role="option"
              aria-selected={i === Math.min(picked, slash.length - 1)}
              // Picked with the mouse without taking the focus from the reply box.
              onMouseDown={(e) => {
                e.preventDefault();
                void insertCanned(c.id, true);
              }}
              style={{ padding: '6px 10px', cursor: 'pointer', background: i === Math.min(picked, slash.length - 1) ? '#e6f4ff' : undefined }}
            >
              <Typography.Text strong>{c.title}</Typography.Text> {c.shortcut && <Typography.Text type="secondary">/{c.shortcut}</Typography.Text>}
              <Typography.Text type="secondary" ellipsis style={{ display: 'block', fontSize: 12 }}>
                {c.body}
              </Typography.Text>
            </div>
          ))}
        </div>
      )}
      <Input.TextArea
        ref={(r) => {
          area.current = r?.resizableTextArea?.textArea ?? null;
        }}
        aria-label={note ? t('workspace.noteText') : t('workspace.replyText')}
        placeholder={note ? t('workspace.notePlaceholder') : t('workspace.replyPlaceholder')}
        autoSize={{ minRows: 2, maxRows: 8 }}
        value={text}
        aria-controls={slash ? slashId : undefined}
        aria-activedescendant={slash?.length ? `${slashId}-${slash[Math.min(picked, slash.length - 1)]!.id}` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          setPicked(0);
          setSlashClosed(false);
          if (!note) typing(e.target.value.length > 0);
        }}
        onKeyDown={onKeyDown}
        onPaste={(e) => {
          if (!e.clipboardData.files.length) return;
          e.preventDefault();
          void attach(e.clipboardData.files);
        }}
        style={{ background: 'transparent' }}
      />
      {(files.length > 0 || busy) && (
        <div data-testid="reply-attachments" style={{ marginTop: 6 }}>
          {files.map((f) => (
            <Tag key={f.id} icon={<PaperClipOutlined />} closable closeIcon={<span aria-label={t('workspace.removeAttachment', { name: f.fileName })}>×</span>} onClose={() => setFiles((x) => x.filter((y) => y.id !== f.id))}>
              {f.fileName}
            </Tag>
          ))}
          {uploading.map((name, i) => (
            <Tag key={`${name}-${i}`} icon={<LoadingOutlined />} role="status">
              {t('workspace.uploading', { name })}
            </Tag>
          ))}
        </div>
      )}
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginTop: 6, gap: 8 }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {note ? t('workspace.noteHint') : t('workspace.replyHint')}
        </Typography.Text>
        <Space size={4}>
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            onChange={(e) => {
              if (e.target.files) void attach(e.target.files);
              e.target.value = '';
            }}
          />
          <Tooltip title={t('workspace.attachHint')}>
            <Button icon={<PaperClipOutlined />} aria-label={t('workspace.attach')} disabled={files.length + uploading.length >= MAX_ATTACHMENTS} onClick={() => fileInput.current?.click()} data-testid="attach" />
          </Tooltip>
          <Button type="primary" icon={<SendOutlined />} loading={sending || busy} disabled={!text.trim() && files.length === 0} onClick={() => void send()} data-testid="send">
            {note ? t('workspace.addNote') : t('workspace.send')}
          </Button>
        </Space>
      </div>
    </div>
  );
}
