import { Alert, Button, Modal, Space, Typography } from 'antd';

/** A secret the server shows only once (an API token, a webhook's signing secret): the warning, the value to copy, one button to close. */
export function SecretOnce({ title, warning, closeText, secret, testId, onClose }: { title: string; warning: string; closeText: string; secret: string | null; testId: string; onClose(): void }) {
  return (
    <Modal title={title} open={secret !== null} onCancel={onClose} footer={<Button onClick={onClose}>{closeText}</Button>}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Alert type="warning" showIcon title={warning} />
        <Typography.Paragraph copyable code data-testid={testId}>
          {secret}
        </Typography.Paragraph>
      </Space>
    </Modal>
  );
}
