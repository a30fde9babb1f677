import { useState } from 'react';
import { App, Button, Card, Popconfirm, Space, Table, Typography, Upload } from 'antd';
import { PaperClipOutlined, UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { asApiError } from '../../api/useLoad.tsx';
import { allows, useMe } from '../../auth/session.tsx';
import { formatDateTime, formatFileSize } from '../../i18n/index.ts';
import { StaffName } from '../org/data.ts';
import type { Detail } from './shared.tsx';

type Attachment = Detail['attachments'][number];

/** An article's file as a download link with its size (the console page and the workspace drawer). */
export function AttachmentLink({ file }: { file: Pick<Attachment, 'id' | 'fileName' | 'size'> }) {
  return (
    <a href={`/api/knowledge-attachments/${file.id}`} download={file.fileName}>
      <PaperClipOutlined /> {file.fileName} <Typography.Text type="secondary">({formatFileSize(file.size)})</Typography.Text>
    </a>
  );
}

/**
 * K1: the article's files, shared by all its versions and seen by readers at once. The server
 * decides who may add or remove them; the buttons are shown only to those it would let: reviewers
 * while the article is not archived, its creator before its first publication.
 */
export function ArticleAttachments({ article, onChanged }: { article: Detail; onChanged(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const [uploading, setUploading] = useState<File[]>([]);
  const mayChange =
    article.status !== 'archived' && allows(me, 'knowledge.write') && (allows(me, 'knowledge.review') || (article.status === 'draft' && article.createdBy === me.id));

  /** Each chosen file goes up on its own; the server says why one is refused (too large, a type it does not take). */
  async function upload(file: File) {
    setUploading((u) => [...u, file]);
    try {
      const form = new FormData();
      form.append('file', file, file.name);
      const added = await api.upload('/api/knowledge-articles/{id}/attachments', { path: { id: article.id } }, form);
      void message.success(t('knowledge.attachments.uploaded', { name: added.fileName }));
      onChanged();
    } catch (err) {
      void message.error(t('knowledge.attachments.uploadFailed', { name: file.name, reason: asApiError(err).message }));
    } finally {
      setUploading((u) => u.filter((f) => f !== file));
    }
  }

  async function remove(file: Attachment) {
    try {
      await api.delete('/api/knowledge-attachments/{id}', { path: { id: file.id } });
      void message.success(t('knowledge.attachments.deleted', { name: file.fileName }));
      onChanged();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  return (
    <Card
      size="small"
      data-testid="kb-attachments"
      title={t('knowledge.attachments.title')}
      extra={
        mayChange && (
          <Upload multiple showUploadList={false} customRequest={({ file }) => void upload(file as File)}>
            <Button icon={<UploadOutlined />} loading={uploading.length > 0}>
              {t('knowledge.attachments.upload')}
            </Button>
          </Upload>
        )
      }
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        {uploading.map((f, i) => (
          <Typography.Text key={i} type="secondary">
            {t('knowledge.attachments.uploading', { name: f.name })}
          </Typography.Text>
        ))}
        <Table<Attachment>
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={article.attachments}
          locale={{ emptyText: t('knowledge.attachments.none') }}
          columns={[
            { title: t('knowledge.attachments.file'), key: 'file', render: (_, f) => <AttachmentLink file={f} /> },
            { title: t('knowledge.attachments.uploadedBy'), dataIndex: 'uploadedBy', render: (s: string | null) => <StaffName id={s} /> },
            { title: t('knowledge.attachments.uploadedAt'), dataIndex: 'createdAt', render: formatDateTime },
            ...(mayChange
              ? [
                  {
                    title: t('knowledge.actions'),
                    key: 'actions',
                    render: (_: unknown, f: Attachment) => (
                      <Popconfirm title={t('knowledge.attachments.deleteConfirm', { name: f.fileName })} onConfirm={() => remove(f)} okButtonProps={{ danger: true }}>
                        <Button size="small" danger aria-label={t('knowledge.attachments.delete', { name: f.fileName })}>
                          {t('knowledge.attachments.deleteShort')}
                        </Button>
                      </Popconfirm>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </Space>
    </Card>
  );
}
