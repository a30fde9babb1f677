import { useEffect, useState } from 'react';
import { Alert, App, Button, Form, Modal, Progress, Radio, Space, Table, Typography, Upload, type UploadFile } from 'antd';
import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { useRealtimeEvents } from '../../realtime.tsx';
import { asApiError, isAbort } from '../../api/useLoad.tsx';
import { saveFile, uploadImport, type CustomerImport } from './files.ts';

type Problem = CustomerImport['report'][number];
const FINISHED: ReadonlyArray<CustomerImport['status']> = ['completed', 'rejected', 'failed'];
/** Polling backs up the live events (a dropped connection, another node's job): slow, it only catches up. */
const POLL_MS = 3000;

const percentOf = (imp: CustomerImport) =>
  imp.status === 'completed' || imp.status === 'rejected' ? 100 : imp.totalRows ? Math.floor((100 * imp.processedRows) / imp.totalRows) : 0;

/** The row-error report as a CSV Excel opens with Chinese intact (UTF-8 with BOM). */
function reportCsv(rows: Problem[], header: [string, string, string]): Blob {
  const cell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [header, ...rows.map((p) => [String(p.row), p.field ?? '', p.reason])].map((r) => r.map(cell).join(','));
  return new Blob([`\uFEFF${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
}

/**
 * C5: uploads a CSV or .xlsx, follows its progress (the `customer_import.progress` events sent to
 * the importer, with polling as the fallback) and shows the rows refused with their reasons.
 */
export function ImportDialog({ open, onClose }: { open: boolean; onClose(changed: boolean): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [files, setFiles] = useState<UploadFile[]>([]);
  const [mode, setMode] = useState<CustomerImport['mode']>('all_or_nothing');
  const [sending, setSending] = useState(false);
  const [imp, setImp] = useState<CustomerImport | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const finished = imp !== null && FINISHED.includes(imp.status);

  useRealtimeEvents(['customer_import.progress'], (e) => {
    if (!imp || e.entity.id !== imp.id || finished) return;
    const d = e.data as Pick<CustomerImport, 'status' | 'totalRows' | 'processedRows' | 'importedRows'> | null;
    if (!d) return;
    // The event carries counts only; the finished import's report is read once.
    if (FINISHED.includes(d.status)) void refresh(imp.id);
    else setImp((cur) => (cur && cur.id === imp.id ? { ...cur, ...d } : cur));
  });

  async function refresh(id: string, signal?: AbortSignal) {
    try {
      const next = await api.get('/api/customers/imports/{id}', { path: { id }, signal });
      setImp((cur) => (cur?.id === id ? next : cur));
    } catch (err) {
      if (!isAbort(err)) void message.error(asApiError(err).message);
    }
  }

  useEffect(() => {
    if (!imp || finished) return;
    const controller = new AbortController();
    const timer = setInterval(() => void refresh(imp.id, controller.signal), POLL_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
    // Restarted only when another import begins or this one ends, not on every progress step.
  }, [imp?.id, finished]);

  async function start() {
    const file = files[0]?.originFileObj;
    if (!file) {
      setFileError(t('customers.import.fileRequired'));
      return;
    }
    setSending(true);
    setFileError(null);
    try {
      setImp(await uploadImport(file, mode));
    } catch (err) {
      const e = asApiError(err);
      if (e.field === 'file') setFileError(e.message);
      else void message.error(e.message);
    } finally {
      setSending(false);
    }
  }

  function close() {
    const changed = imp !== null && imp.importedRows > 0;
    setImp(null);
    setFiles([]);
    setFileError(null);
    onClose(changed);
  }

  const header: [string, string, string] = [t('customers.import.row'), t('customers.import.field'), t('customers.import.reason')];
  return (
    <Modal
      title={t('customers.import.title')}
      open={open}
      onCancel={close}
      width={720}
      destroyOnHidden
      footer={
        imp ? (
          <Button type="primary" onClick={close} disabled={!finished}>
            {t('customers.import.done')}
          </Button>
        ) : (
          <Space>
            <Button onClick={close}>{t('customers.cancel')}</Button>
            <Button type="primary" onClick={() => void start()} loading={sending}>
              {t('customers.import.start')}
            </Button>
          </Space>
        )
      }
    >
      {!imp ? (
        <Form layout="vertical">
          <Typography.Paragraph type="secondary">{t('customers.import.columns')}</Typography.Paragraph>
          <Form.Item label={t('customers.import.file')} validateStatus={fileError ? 'error' : undefined} help={fileError ?? t('customers.import.fileHint')}>
            <Upload.Dragger
              accept=".csv,.xlsx"
              maxCount={1}
              fileList={files}
              beforeUpload={() => false}
              onChange={({ fileList }) => {
                setFiles(fileList.slice(-1));
                setFileError(null);
              }}
              data-testid="import-file"
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p>{t('customers.import.drop')}</p>
            </Upload.Dragger>
          </Form.Item>
          <Form.Item label={t('customers.import.mode')}>
            <Radio.Group
              value={mode}
              onChange={(e) => setMode(e.target.value as CustomerImport['mode'])}
              options={(['all_or_nothing', 'valid_only'] as const).map((m) => ({ value: m, label: t(`customers.import.modes.${m}`) }))}
            />
          </Form.Item>
        </Form>
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="import-progress">
          <Typography.Text>{imp.fileName}</Typography.Text>
          <Progress
            percent={percentOf(imp)}
            status={imp.status === 'failed' || imp.status === 'rejected' ? 'exception' : finished ? 'success' : 'active'}
            format={(p) => `${p ?? 0}%`}
            aria-label={t('customers.import.progress')}
          />
          <Typography.Text data-testid="import-status">
            {t(`customers.import.statuses.${imp.status}`)} · {t('customers.import.counts', { processed: imp.processedRows, total: imp.totalRows, imported: imp.importedRows, problems: imp.report.length })}
          </Typography.Text>
          {imp.status === 'rejected' && <Alert type="warning" showIcon title={t('customers.import.rejected')} />}
          {finished && imp.report.length > 0 && (
            <>
              <Space style={{ width: '100%', justifyContent: 'space-between' }}>
                <Typography.Title level={5} style={{ margin: 0 }}>
                  {t('customers.import.report')}
                </Typography.Title>
                <Button icon={<DownloadOutlined />} onClick={() => saveFile(reportCsv(imp.report, header), `${imp.fileName.replace(/\.[^.]+$/, '')}-${t('customers.import.reportFile')}.csv`)}>
                  {t('customers.import.download')}
                </Button>
              </Space>
              <Table<Problem>
                size="small"
                data-testid="import-report"
                rowKey={(p) => `${p.row}-${p.field}-${p.reason}`}
                dataSource={imp.report}
                pagination={imp.report.length > 10 ? { pageSize: 10 } : false}
                columns={[
                  { title: header[0], dataIndex: 'row', width: 80 },
                  { title: header[1], dataIndex: 'field', width: 140, render: (f: string | null) => f ?? '—' },
                  { title: header[2], dataIndex: 'reason' },
                ]}
              />
            </>
          )}
        </Space>
      )}
    </Modal>
  );
}
