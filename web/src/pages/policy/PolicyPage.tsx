import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Popconfirm, Row, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type ApiError } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { asApiError, isAbort } from '../../api/useLoad.tsx';
import { formatTime } from '../audit/format.ts';
import { changes, schemaProblems, setIn, type Path, type PolicyDoc, type PolicySummary, type PolicyVersion, type Problem } from './doc.ts';
import { StructuredEditor } from './Sections.tsx';

const STATUS_COLOURS: Record<PolicySummary['status'], string> = { draft: 'gold', approved: 'blue', published: 'green', retired: 'default' };
const isOpen = (v: PolicySummary) => v.status === 'draft' || v.status === 'approved';
const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** Display names of staff, for who drafted, approved and published a version. */
function useStaffNames(): Map<string, string> {
  const [names, setNames] = useState(new Map<string, string>());
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/staff', { query: { limit: 200 }, signal: controller.signal })
      .then((page) => setNames(new Map(page.data.map((s) => [s.id, s.displayName]))))
      // Names are a convenience: without them the page still shows who by id.
      .catch(() => undefined);
    return () => controller.abort();
  }, []);
  return names;
}

/** E4 / PR1: the active preset's policy, versioned draft → approved → published. */
export default function PolicyPage() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const me = useMe();
  const can = { draft: allows(me, 'policy.draft'), approve: allows(me, 'policy.approve'), publish: allows(me, 'policy.publish') };
  const names = useStaffNames();
  const { generation } = useRealtimeStatus();

  const [versions, setVersions] = useState<PolicySummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [published, setPublished] = useState<PolicyVersion | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [version, setVersion] = useState<PolicyVersion | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);

  const [doc, setDoc] = useState<PolicyDoc | null>(null);
  const [note, setNote] = useState('');
  const [dirty, setDirty] = useState(false);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [json, setJson] = useState('');
  const [jsonDirty, setJsonDirty] = useState(false);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [drafting, setDrafting] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [tab, setTab] = useState('structured');

  const loadVersions = useCallback(async (signal?: AbortSignal) => {
    try {
      const [list, current] = await Promise.all([api.get('/api/policies', { query: { limit: 50 }, signal }), api.get('/api/policies/current', { signal })]);
      setVersions(list.data);
      setCursor(list.nextCursor);
      setPublished(current);
      setLoadError(null);
      // By default the open version (the one being worked on), else the one in force.
      setSelectedId((id) => (id && list.data.some((v) => v.id === id) ? id : (list.data.find(isOpen)?.id ?? current.id)));
    } catch (err) {
      if (!isAbort(err)) setLoadError(asApiError(err));
    }
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    void loadVersions(controller.signal);
    return () => controller.abort();
  }, [loadVersions, generation]);

  async function more() {
    if (!cursor) return;
    try {
      const page = await api.get('/api/policies', { query: { limit: 50, cursor } });
      setVersions((v) => [...v, ...page.data]);
      setCursor(page.nextCursor);
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  const show = useCallback((v: PolicyVersion) => {
    setVersion(v);
    setDoc(v.document);
    setNote(v.note ?? '');
    setDirty(false);
    setProblems([]);
    setJson(pretty(v.document));
    setJsonDirty(false);
    setJsonError(null);
  }, []);

  useEffect(() => {
    if (!selectedId) return;
    const controller = new AbortController();
    api
      .get('/api/policies/{id}', { path: { id: selectedId }, signal: controller.signal })
      .then(show)
      .catch((err: unknown) => !isAbort(err) && setLoadError(asApiError(err)));
    return () => controller.abort();
  }, [selectedId, show]);

  // Another administrator's step (approve, publish …) shows at once; an unsaved edit here is kept.
  useRealtimeEvents(['policy.'], (e) => {
    void loadVersions();
    if (e.entity.id === selectedId && !dirty) {
      api
        .get('/api/policies/{id}', { path: { id: e.entity.id } })
        .then(show)
        .catch(() => undefined);
    }
  });

  /** Opens another version; unsaved edits are only dropped when the user says so. */
  function select(id: string) {
    if (id === selectedId) return;
    if (!dirty) return setSelectedId(id);
    modal.confirm({ title: t('policy.discard'), okText: t('policy.discardOk'), onOk: () => setSelectedId(id) });
  }

  const editable = version?.status === 'draft' && can.draft;
  const openVersion = versions.find(isOpen);

  function edit(path: Path, value: unknown) {
    setDoc((d) => (d ? setIn(d, path, value) : d));
    setDirty(true);
    setProblems((ps) => ps.filter((p) => !(p.field.startsWith(path) || path.startsWith(p.field))));
  }
  // The JSON view follows the structured editor until it is edited itself.
  useEffect(() => {
    if (doc && !jsonDirty) setJson(pretty(doc));
  }, [doc, jsonDirty]);

  /** Parses and checks the JSON view; the checked document, or null with the problems shown. */
  function applyJson(): PolicyDoc | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      setJsonError(t('policy.json.syntax', { detail: (err as Error).message }));
      return null;
    }
    setJsonError(null);
    const found = schemaProblems(parsed);
    setProblems(found);
    if (found.length) return null;
    setDoc(parsed as PolicyDoc);
    setJsonDirty(false);
    setDirty(true);
    return parsed as PolicyDoc;
  }

  async function act(step: () => Promise<PolicyVersion>, done: string) {
    setBusy(true);
    try {
      const after = await step();
      show(after);
      // A publication is the version in force from now on: the header says so at once, not after the reload.
      if (after.status === 'published') setPublished(after);
      void message.success(done);
      await loadVersions();
    } catch (err) {
      const e = asApiError(err);
      if (e.field?.startsWith('document.')) setProblems([{ field: e.field.slice('document.'.length), message: e.message }]);
      void message.error(e.message);
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    if (!version || !doc) return;
    const next = jsonDirty ? applyJson() : doc;
    if (!next) return void message.error(t('policy.invalid'));
    const found = schemaProblems(next);
    setProblems(found);
    if (found.length) return void message.error(t('policy.invalid'));
    await act(() => api.patch('/api/policies/{id}', { path: { id: version.id }, body: { document: next, note: note.trim() || null } }), t('policy.saved'));
  }

  async function createDraft(values: { note?: string }) {
    setBusy(true);
    try {
      const created = await api.post('/api/policies', { body: { basedOn: version?.id, note: values.note?.trim() || null } });
      setDrafting(false);
      void message.success(t('policy.drafted', { version: created.version }));
      await loadVersions();
      setSelectedId(created.id);
    } catch (err) {
      void message.error(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  }

  async function reject(values: { comment: string }) {
    if (!version) return;
    setRejecting(false);
    await act(() => api.post('/api/policies/{id}/rejections', { path: { id: version.id }, body: { comment: values.comment } }), t('policy.rejected'));
  }

  const who = (id: string | null, at: string | null) => (at ? `${id ? (names.get(id) ?? id) : t('policy.system')} · ${formatTime(at)}` : '—');
  const diff = useMemo(() => (doc && published && version?.id !== published.id ? changes(published.document, doc) : []), [doc, published, version]);

  if (loadError && !version) return <Alert type="error" showIcon title={loadError.message} action={<Button size="small" onClick={() => void loadVersions()}>{t('common.retry')}</Button>} />;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('nav.policy')}
      </Typography.Title>
      {published && (
        <Typography.Paragraph type="secondary" style={{ margin: 0 }} data-testid="policy-current">
          {t('policy.current', { title: published.document.meta.title, organisation: published.document.meta.organisation, version: published.version, at: formatTime(published.publishedAt) })}
        </Typography.Paragraph>
      )}
      <Row gutter={16}>
        <Col xs={24} xl={7}>
          <Card size="small" title={t('policy.history')}>
            <Table<PolicySummary>
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={versions}
              data-testid="policy-versions"
              rowClassName={(r) => (r.id === selectedId ? 'ant-table-row-selected' : '')}
              onRow={(r) => ({ onClick: () => select(r.id) })}
              columns={[
                {
                  title: t('policy.version'),
                  dataIndex: 'version',
                  render: (v: number, r) => (
                    <Button
                      type="link"
                      size="small"
                      aria-current={r.id === selectedId ? 'true' : undefined}
                      onClick={(e) => {
                        e.stopPropagation();
                        select(r.id);
                      }}
                    >
                      v{v}
                    </Button>
                  ),
                },
                { title: t('policy.state'), dataIndex: 'status', render: (s: PolicySummary['status']) => <Tag color={STATUS_COLOURS[s]}>{t(`policy.status.${s}`)}</Tag> },
                { title: t('policy.updatedAt'), dataIndex: 'updatedAt', render: formatTime },
              ]}
            />
            {cursor && <Button onClick={() => void more()}>{t('policy.more')}</Button>}
          </Card>
        </Col>
        <Col xs={24} xl={17}>
          {!version || !doc ? (
            <Card loading />
          ) : (
            <Card
              size="small"
              data-testid="policy-version"
              title={
                <Space>
                  <span>{t('policy.versionTitle', { version: version.version })}</span>
                  <Tag color={STATUS_COLOURS[version.status]} data-testid="policy-status">
                    {t(`policy.status.${version.status}`)}
                  </Tag>
                  {dirty && <Tag color="orange">{t('policy.unsaved')}</Tag>}
                </Space>
              }
              extra={
                <Space wrap>
                  {editable && (
                    <Button type="primary" loading={busy} onClick={() => void save()}>
                      {t('policy.save')}
                    </Button>
                  )}
                  {version.status === 'draft' && can.approve && (
                    <Popconfirm title={t('policy.approveConfirm', { version: version.version })} onConfirm={() => act(() => api.post('/api/policies/{id}/approvals', { path: { id: version.id } }), t('policy.approved'))}>
                      <Button disabled={dirty || busy}>{t('policy.approve')}</Button>
                    </Popconfirm>
                  )}
                  {version.status === 'approved' && can.publish && (
                    <Popconfirm title={t('policy.publishConfirm', { version: version.version })} onConfirm={() => act(() => api.post('/api/policies/{id}/publications', { path: { id: version.id } }), t('policy.published'))}>
                      <Button type="primary" disabled={busy}>
                        {t('policy.publish')}
                      </Button>
                    </Popconfirm>
                  )}
                  {isOpen(version) && can.approve && (
                    <Button danger disabled={busy} onClick={() => setRejecting(true)}>
                      {t('policy.reject')}
                    </Button>
                  )}
                  {!isOpen(version) && can.draft && !openVersion && (
                    <Button type="primary" onClick={() => setDrafting(true)}>
                      {t('policy.newDraft')}
                    </Button>
                  )}
                </Space>
              }
            >
              <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
                {!isOpen(version) && openVersion && <Alert type="info" showIcon title={t('policy.openExists', { version: openVersion.version })} />}
                {version.status === 'draft' && version.rejectionComment && (
                  <Alert type="warning" showIcon title={t('policy.rejectedBy', { who: who(version.rejectedBy, version.rejectedAt) })} description={version.rejectionComment} />
                )}
                <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered data-testid="policy-who">
                  <Descriptions.Item label={t('policy.createdBy')}>{who(version.createdBy, version.createdAt)}</Descriptions.Item>
                  <Descriptions.Item label={t('policy.approvedBy')}>{who(version.approvedBy, version.approvedAt)}</Descriptions.Item>
                  <Descriptions.Item label={t('policy.publishedBy')}>{who(version.publishedBy, version.publishedAt)}</Descriptions.Item>
                  <Descriptions.Item label={t('policy.retiredAt')}>{formatTime(version.retiredAt)}</Descriptions.Item>
                  <Descriptions.Item label={t('policy.note')} span="filled">
                    {editable ? (
                      <Input
                        aria-label={t('policy.note')}
                        value={note}
                        maxLength={1000}
                        onChange={(e) => {
                          setNote(e.target.value);
                          setDirty(true);
                        }}
                      />
                    ) : (
                      version.note || '—'
                    )}
                  </Descriptions.Item>
                </Descriptions>
                {problems.length > 0 && (
                  <Alert
                    type="error"
                    showIcon
                    title={t('policy.problems')}
                    data-testid="policy-problems"
                    description={
                      <ul style={{ margin: 0, paddingInlineStart: 20 }}>
                        {problems.map((p) => (
                          <li key={p.field + p.message}>
                            <Typography.Text code>{p.field || '/'}</Typography.Text> {p.message}
                          </li>
                        ))}
                      </ul>
                    }
                  />
                )}
                <Tabs
                  destroyOnHidden
                  activeKey={tab}
                  onChange={setTab}
                  items={[
                    { key: 'structured', label: t('policy.tabs.structured'), children: <StructuredEditor doc={doc} readOnly={!editable} problems={problems} onChange={edit} /> },
                    {
                      key: 'json',
                      label: t('policy.tabs.json'),
                      children: (
                        <Space orientation="vertical" style={{ width: '100%' }}>
                          <Typography.Text type="secondary">{t('policy.json.hint')}</Typography.Text>
                          {jsonError && <Alert type="error" showIcon title={jsonError} />}
                          <Input.TextArea
                            aria-label={t('policy.tabs.json')}
                            value={json}
                            readOnly={!editable}
                            spellCheck={false}
                            // A fixed height: measuring thousands of lines on every keystroke makes typing lag.
                            rows={28}
                            style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 12 }}
                            onChange={(e) => {
                              setJson(e.target.value);
                              setJsonDirty(true);
                            }}
                          />
                          {editable && (
                            <Button disabled={!jsonDirty} onClick={() => applyJson() && void message.success(t('policy.json.applied'))}>
                              {t('policy.json.apply')}
                            </Button>
                          )}
                        </Space>
                      ),
                    },
                    {
                      key: 'diff',
                      label: t('policy.tabs.diff', { count: diff.length }),
                      children:
                        version.id === published?.id ? (
                          <Alert type="info" showIcon title={t('policy.isCurrent')} />
                        ) : diff.length === 0 ? (
                          <Empty description={t('policy.noChanges')} />
                        ) : (
                          <Table
                            rowKey="path"
                            size="small"
                            pagination={false}
                            dataSource={diff}
                            data-testid="policy-diff"
                            columns={[
                              { title: t('policy.path'), dataIndex: 'path', render: (p: string) => <Typography.Text code>{p}</Typography.Text> },
                              { title: t('policy.inForce', { version: published?.version }), dataIndex: 'before', render: (v: unknown) => <JsonValue value={v} /> },
                              { title: t('policy.thisVersion', { version: version.version }), dataIndex: 'after', render: (v: unknown) => <JsonValue value={v} /> },
                            ]}
                          />
                        ),
                    },
                  ]}
                />
              </Space>
            </Card>
          )}
        </Col>
      </Row>
      <Modal title={t('policy.newDraft')} open={drafting} onCancel={() => setDrafting(false)} footer={null} destroyOnHidden>
        <Form layout="vertical" onFinish={createDraft}>
          <Typography.Paragraph type="secondary">{t('policy.draftFrom', { version: version?.version })}</Typography.Paragraph>
          <Form.Item label={t('policy.note')} name="note">
            <Input.TextArea maxLength={1000} autoSize={{ minRows: 2 }} autoFocus />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('policy.newDraft')}
          </Button>
        </Form>
      </Modal>
      <Modal title={t('policy.reject')} open={rejecting} onCancel={() => setRejecting(false)} footer={null} destroyOnHidden>
        <Form layout="vertical" onFinish={reject}>
          <Form.Item label={t('policy.rejectComment')} name="comment" rules={[{ required: true, min: 2, whitespace: true, message: t('policy.rejectCommentRequired') }]}>
            <Input.TextArea maxLength={1000} autoSize={{ minRows: 3 }} autoFocus />
          </Form.Item>
          <Button danger htmlType="submit">
            {t('policy.reject')}
          </Button>
        </Form>
      </Modal>
    </Space>
  );
}

function JsonValue({ value }: { value: unknown }) {
  if (value === undefined) return <Typography.Text type="secondary">—</Typography.Text>;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return <Typography.Text style={{ wordBreak: 'break-all' }}>{text}</Typography.Text>;
}
