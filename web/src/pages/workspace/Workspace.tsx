import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { App, Button, Empty, Popover, Segmented, Space, Tabs, Typography } from 'antd';
import { QuestionCircleOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type AgentState } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents } from '../../realtime.tsx';
import { ConversationPane, type ConversationHandle } from './Conversation.tsx';
import { CustomerPanel } from './CustomerPanel.tsx';
import { Inbox, type InboxHandle } from './Inbox.tsx';
import { KnowledgePanel } from './Knowledge.tsx';
import { asApiError, isAbort, typingTarget, type Conversation, type ProblemType } from './shared.ts';
import { CONVERSATION_PARAM } from '../../nav.tsx';

type AgentStatus = AgentState['status'];
const AGENT_STATUSES: readonly AgentStatus[] = ['online', 'busy', 'away', 'offline'];
const STATUS_DOT: Record<AgentStatus, string> = { online: '#52c41a', busy: '#fa8c16', away: '#fadb14', offline: '#bfbfbf' };

/** The shortcuts, as listed in the help: keys shown, and what they do. */
const SHORTCUTS = [
  ['Ctrl + Enter', 'send'],
  ['Alt + ↓', 'next'],
  ['Alt + ↑', 'previous'],
  ['Alt + R', 'reply'],
  ['Alt + N', 'note'],
  ['Alt + C', 'claim'],
  ['Alt + S', 'resolve'],
  ['/', 'search'],
  ['?', 'help'],
] as const;

/**
 * The agent workspace (issue 5 §3): the inbox of queues and views, the open conversation, and
 * the customer beside it. The open conversation is in the address (?c=id), so a link opens it.
 */
export default function Workspace() {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const selectedId = params.get(CONVERSATION_PARAM);
  const [problemTypes, setProblemTypes] = useState<ProblemType[]>([]);
  const [staffNames, setStaffNames] = useState<ReadonlyMap<string, string>>(new Map());
  // What the side panels follow of the open conversation: its customer, and its problem type for the suggestions.
  const [current, setCurrent] = useState<Pick<Conversation, 'id' | 'customerId' | 'problemType'> | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  // The side tab the agent chose stays chosen from one conversation to the next.
  const [sideTab, setSideTab] = useState('customer');
  const inbox = useRef<InboxHandle>(null);
  const pane = useRef<ConversationHandle>(null);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;

  const select = useCallback(
    (id: string) => {
      setParams((p) => {
        const next = new URLSearchParams(p);
        next.set(CONVERSATION_PARAM, id);
        return next;
      });
      inbox.current?.reveal(id);
    },
    [setParams],
  );

  const deselect = useCallback(() => {
    setParams((p) => {
      const next = new URLSearchParams(p);
      next.delete(CONVERSATION_PARAM);
      return next;
    });
  }, [setParams]);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const fail = (err: unknown) => {
      if (!isAbort(err)) void message.error(asApiError(err).message);
    };
    if (allows(me, 'policy.read')) api.get('/api/policies/current', { signal }).then((p) => setProblemTypes(p.document.problemTypes), fail);
    api.get('/api/agent-states', { signal }).then((a) => setStaffNames(new Map(a.map((x) => [x.staffId, x.displayName]))), fail);
    return () => controller.abort();
  }, [me, message]);

  // The side panels follow the open conversation.
  useEffect(() => {
    if (!selectedId) return setCurrent(null);
    const controller = new AbortController();
    api.get('/api/conversations/{id}', { path: { id: selectedId }, signal: controller.signal }).then(setCurrent, (err: unknown) => {
      if (!isAbort(err)) setCurrent(null);
    });
    return () => controller.abort();
  }, [selectedId]);
  useRealtimeEvents(['conversation.'], (e) => {
    const c = e.data as Conversation | null;
    if (c && c.id === selectedId && (c.customerId !== current?.customerId || c.problemType !== current?.problemType)) setCurrent(c);
  });

  // Shortcuts act on the page, never on what the agent types elsewhere (Ctrl+Enter is the reply box's own).
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || typingTarget(e.target)) return;
      const move = (step: number) => {
        const ids = inbox.current?.ids() ?? [];
        if (ids.length === 0) return;
        const at = selectedRef.current ? ids.indexOf(selectedRef.current) : -1;
        const next = ids[Math.min(ids.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
        if (next) select(next);
      };
      let handled = true;
      if (e.altKey && !e.ctrlKey && !e.metaKey) {
        if (e.key === 'ArrowDown') move(1);
        else if (e.key === 'ArrowUp') move(-1);
        else if (e.code === 'KeyR') pane.current?.focusReply('reply');
        else if (e.code === 'KeyN') pane.current?.focusReply('note');
        else if (e.code === 'KeyC') pane.current?.claim();
        else if (e.code === 'KeyS') pane.current?.resolve();
        else handled = false;
      } else if (!e.ctrlKey && !e.metaKey && !e.altKey && e.key === '/') inbox.current?.focusSearch();
      else if (!e.ctrlKey && !e.metaKey && !e.altKey && e.key === '?') setHelpOpen((o) => !o);
      else handled = false;
      if (handled) e.preventDefault();
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [select]);

  return (
    <div style={{ display: 'flex', flexDirection: 'column', height: 'calc(100vh - 64px - 48px)', minHeight: 480 }} data-testid="workspace">
      <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginBottom: 12, gap: 12, flexWrap: 'wrap' }}>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('nav.workspace')}
        </Typography.Title>
        <Space>
          {allows(me, 'conversations.handle') && <StatusSwitch />}
          <Popover
            open={helpOpen}
            onOpenChange={setHelpOpen}
            trigger="click"
            title={t('workspace.shortcuts.title')}
            content={
              <table data-testid="shortcut-help" style={{ borderSpacing: '12px 4px' }}>
                <tbody>
                  {SHORTCUTS.map(([keys, what]) => (
                    <tr key={what}>
                      <td>
                        <Typography.Text keyboard>{keys}</Typography.Text>
                      </td>
                      <td>{t(`workspace.shortcuts.${what}`)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          >
            <Button icon={<QuestionCircleOutlined />} aria-label={t('workspace.shortcuts.title')} data-testid="shortcuts" />
          </Popover>
        </Space>
      </div>
      <div style={{ display: 'grid', gridTemplateColumns: 'minmax(280px, 340px) minmax(360px, 1fr) minmax(260px, 320px)', gap: 16, flex: 1, minHeight: 0 }}>
        <Inbox handle={inbox} selectedId={selectedId} onSelect={select} problemTypes={problemTypes} />
        <div style={{ minWidth: 0, minHeight: 0 }}>
          {selectedId ? (
            <ConversationPane key={selectedId} id={selectedId} names={staffNames} problemTypes={problemTypes} handle={pane} onGone={deselect} />
          ) : (
            <Empty style={{ marginTop: 96 }} description={t('workspace.pick')} />
          )}
        </div>
        <div style={{ minWidth: 0, minHeight: 0, overflowY: 'auto' }}>
          {selectedId && current?.id === selectedId && (
            <Tabs
              size="small"
              activeKey={sideTab}
              onChange={setSideTab}
              items={[
                { key: 'customer', label: t('workspace.customer.label'), children: <CustomerPanel customerId={current.customerId} currentId={selectedId} onOpen={select} /> },
                ...(allows(me, 'knowledge.read')
                  ? [{ key: 'knowledge', label: t('workspace.knowledge.title'), children: <KnowledgePanel key={selectedId} conversationId={selectedId} problemType={current.problemType} onInsert={(text: string) => pane.current?.insert(text) ?? false} /> }]
                  : []),
              ]}
            />
          )}
        </div>
      </div>
    </div>
  );
}

/** Online takes new work; busy and away keep what one has; offline hands chats on (CH6). */
function StatusSwitch() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [status, setStatus] = useState<AgentStatus | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    api.get('/api/agent-states/me', { signal: controller.signal }).then(
      (s) => setStatus(s.status),
      (err: unknown) => {
        if (!isAbort(err)) void message.error(asApiError(err).message);
      },
    );
    return () => controller.abort();
  }, [message]);

  async function change(next: AgentStatus) {
    setSaving(true);
    try {
      setStatus((await api.put('/api/agent-states/me', { body: { status: next } })).status);
    } catch (err) {
      void message.error(asApiError(err).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Segmented<AgentStatus>
      aria-label={t('workspace.myStatus')}
      data-testid="agent-status"
      disabled={saving || status === null}
      value={status ?? 'offline'}
      onChange={(s) => void change(s)}
      options={AGENT_STATUSES.map((s) => ({
        value: s,
        label: (
          <span>
            <span aria-hidden style={{ display: 'inline-block', width: 8, height: 8, borderRadius: 4, background: STATUS_DOT[s], marginInlineEnd: 6 }} />
            {t(`agentStatus.${s}`)}
          </span>
        ),
      }))}
    />
  );
}
