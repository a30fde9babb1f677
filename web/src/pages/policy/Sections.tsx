import type { ReactNode } from 'react';
import { Card, Checkbox, Form, Input, InputNumber, Radio, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { BookOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { zhCN } from '../../i18n/zh-CN.ts';
import { getIn, type Path, type PolicyDoc, type Problem, type Source } from './doc.ts';

export interface SectionProps {
  doc: PolicyDoc;
  readOnly: boolean;
  problems: Problem[];
  onChange(path: Path, value: unknown): void;
}

type FieldLabel = keyof typeof zhCN.policy.fields;
type Unit = keyof typeof zhCN.policy.units;

const idOf = (path: Path) => `policy-${path.replace(/\./g, '-')}`;
const problemAt = (problems: Problem[], path: Path) => problems.find((p) => p.field === path || p.field.startsWith(`${path}.`))?.message;

/** The regulation's words a rule rests on (PR1): the seed, its clause and the verbatim quote. */
export function SourceQuote({ source }: { source: Source | undefined }) {
  const { t } = useTranslation();
  if (!source) return null;
  if (source === 'default') return <Typography.Text type="secondary">{t('policy.source.default')}</Typography.Text>;
  return (
    <Typography.Text type="secondary" data-testid="policy-quote">
      <BookOutlined /> {t('policy.source.ref', { seed: source.seed, clause: source.clause })}「{source.quote}」
    </Typography.Text>
  );
}

/** One labelled field with its problem (from the schema check or the server) and, for sourced values, the quote. */
function Field({ path, label, problems, source, children }: { path: Path; label: FieldLabel; problems: Problem[]; source?: Source; children: ReactNode }) {
  const { t } = useTranslation();
  const problem = problemAt(problems, path);
  return (
    <Form.Item label={t(`policy.fields.${label}`)} htmlFor={idOf(path)} validateStatus={problem ? 'error' : undefined} help={problem} extra={<SourceQuote source={source} />}>
      {children}
    </Form.Item>
  );
}

/** A number the policy holds as `{ value, source }` at `path`. */
function SourcedNumber({ path, label, unit, min = 0, max, step = 1, ...p }: SectionProps & { path: Path; label: FieldLabel; unit: Unit; min?: number; max?: number; step?: number }) {
  const { t } = useTranslation();
  return (
    <Field path={path} label={label} problems={p.problems} source={getIn(p.doc, `${path}.source`) as Source}>
      <InputNumber
        id={idOf(path)}
        min={min}
        max={max}
        step={step}
        value={getIn(p.doc, `${path}.value`) as number}
        onChange={(v) => p.onChange(`${path}.value`, v)}
        suffix={t(`policy.units.${unit}`)}
        style={{ width: 200 }}
      />
    </Field>
  );
}

function SourcedSwitch({ path, label, ...p }: SectionProps & { path: Path; label: FieldLabel }) {
  return (
    <Field path={path} label={label} problems={p.problems} source={getIn(p.doc, `${path}.source`) as Source}>
      <Switch id={idOf(path)} checked={getIn(p.doc, `${path}.value`) === true} onChange={(v) => p.onChange(`${path}.value`, v)} />
    </Field>
  );
}

const SLA_ROWS: ReadonlyArray<{ path: Path; label: FieldLabel; unit: Unit; max?: number; step?: number }> = [
  { path: 'sla.chat.firstResponseSeconds', label: 'chatFirstResponse', unit: 'seconds' },
  { path: 'sla.chat.nextResponseSeconds', label: 'chatNextResponse', unit: 'seconds' },
  { path: 'sla.phone.answerWithinRings', label: 'answerWithinRings', unit: 'rings', max: 20 },
  { path: 'sla.phone.ringSeconds', label: 'ringSeconds', unit: 'seconds', max: 10 },
  { path: 'sla.phone.greetingSeconds', label: 'greeting', unit: 'seconds' },
  { path: 'sla.phone.problemUnderstoodSeconds', label: 'problemUnderstood', unit: 'seconds' },
  { path: 'sla.email.firstResponseMinutes', label: 'emailFirstResponse', unit: 'minutes' },
  { path: 'sla.resolutionHours', label: 'resolution', unit: 'hours' },
  { path: 'sla.warningFraction', label: 'warningFraction', unit: 'fraction', max: 1, step: 0.05 },
  { path: 'sla.serviceLevel.percent', label: 'serviceLevelPercent', unit: 'percent', max: 100 },
  { path: 'sla.serviceLevel.withinSeconds', label: 'serviceLevelWithin', unit: 'seconds' },
];

/** S1: the SLA targets, one row each with the clause that fixes it. */
export function SlaTargets(p: SectionProps) {
  const { t } = useTranslation();
  return (
    <Table
      rowKey="path"
      size="small"
      pagination={false}
      dataSource={SLA_ROWS as Array<(typeof SLA_ROWS)[number]>}
      data-testid="policy-sla"
      columns={[
        { title: t('policy.target'), dataIndex: 'label', width: 200, render: (label: FieldLabel, r) => <label htmlFor={idOf(r.path)}>{t(`policy.fields.${label}`)}</label> },
        {
          title: t('policy.value'),
          key: 'value',
          width: 220,
          render: (_, r) => {
            const problem = problemAt(p.problems, r.path);
            return (
              <Form.Item style={{ margin: 0 }} validateStatus={problem ? 'error' : undefined} help={problem}>
                <InputNumber
                  id={idOf(r.path)}
                  min={r.unit === 'fraction' ? 0 : 1}
                  max={r.max}
                  step={r.step ?? 1}
                  value={getIn(p.doc, `${r.path}.value`) as number}
                  onChange={(v) => p.onChange(`${r.path}.value`, v)}
                  suffix={t(`policy.units.${r.unit}`)}
                  style={{ width: 180 }}
                />
              </Form.Item>
            );
          },
        },
        { title: t('policy.source.title'), key: 'source', render: (_, r) => <SourceQuote source={getIn(p.doc, `${r.path}.source`) as Source} /> },
      ]}
    />
  );
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** S1: when the service is open, and whether statutory holidays close it. */
export function BusinessHours(p: SectionProps) {
  const { t } = useTranslation();
  const hours = p.doc.organisation.businessHours.value;
  const holidays = p.doc.organisation.holidays;
  const base = 'organisation.businessHours';
  return (
    <>
      <Field path={base} label="businessHours" problems={p.problems} source={p.doc.organisation.businessHours.source}>
        <Radio.Group
          id={idOf(base)}
          value={hours === '24x7' ? '24x7' : 'hours'}
          onChange={(e) => p.onChange(`${base}.value`, e.target.value === '24x7' ? '24x7' : { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' })}
          options={[
            { value: '24x7', label: t('policy.hours.always') },
            { value: 'hours', label: t('policy.hours.window') },
          ]}
        />
      </Field>
      {hours !== '24x7' && (
        <Space wrap align="start">
          <Field path={`${base}.value.days`} label="days" problems={p.problems}>
            <div role="group" aria-label={t('policy.fields.days')}>
              <Checkbox.Group
                value={hours.days}
                onChange={(days) => p.onChange(`${base}.value.days`, [...days].sort())}
                options={WEEKDAYS.map((d, i) => ({ value: (i + 1) as (typeof hours.days)[number], label: t(`policy.weekdays.${d}`) }))}
              />
            </div>
          </Field>
          <Field path={`${base}.value.start`} label="opens" problems={p.problems}>
            <Input id={idOf(`${base}.value.start`)} value={hours.start} placeholder="09:00" maxLength={5} style={{ width: 100 }} onChange={(e) => p.onChange(`${base}.value.start`, e.target.value)} />
          </Field>
          <Field path={`${base}.value.end`} label="closes" problems={p.problems}>
            <Input id={idOf(`${base}.value.end`)} value={hours.end} placeholder="18:00" maxLength={5} style={{ width: 100 }} onChange={(e) => p.onChange(`${base}.value.end`, e.target.value)} />
          </Field>
        </Space>
      )}
      <Field path="organisation.holidays" label="holidays" problems={p.problems} source={holidays?.source}>
        <Select
          id={idOf('organisation.holidays')}
          style={{ width: 320 }}
          value={holidays?.value ?? 'cn'}
          onChange={(v) => p.onChange('organisation.holidays', { value: v, source: holidays?.source ?? 'default' })}
          options={[
            { value: 'cn', label: t('policy.hours.holidaysCn') },
            { value: 'none', label: t('policy.hours.holidaysNone') },
          ]}
        />
      </Field>
    </>
  );
}

/** S3/S5: confirmation on resolve, reopening, automatic closing and the callback after closure. */
export function ClosedLoop(p: SectionProps) {
  const { t } = useTranslation();
  const autoClose = p.doc.closedLoop.autoCloseHours;
  return (
    <Space wrap align="start" size="large">
      <SourcedSwitch {...p} path="closedLoop.confirmOnResolve" label="confirmOnResolve" />
      <SourcedNumber {...p} path="closedLoop.reopenWindowDays" label="reopenWindowDays" unit="days" min={1} max={90} />
      <SourcedNumber {...p} path="closedLoop.fcrWindowDays" label="fcrWindowDays" unit="days" min={1} max={90} />
      <Field path="closedLoop.autoCloseHours" label="autoCloseHours" problems={p.problems} source={autoClose?.source}>
        <InputNumber
          id={idOf('closedLoop.autoCloseHours')}
          min={1}
          max={24 * 90}
          placeholder={t('policy.hours.autoCloseDefault')}
          value={autoClose?.value ?? null}
          // Absent means the built-in 72 h; a value given here becomes part of the policy.
          onChange={(v) => p.onChange('closedLoop.autoCloseHours', v === null ? undefined : { value: v, source: autoClose?.source ?? 'default' })}
          suffix={t('policy.units.hours')}
          style={{ width: 200 }}
        />
      </Field>
      <SourcedSwitch {...p} path="callbacks.autoOnClosure" label="callbackOnClosure" />
      <SourcedNumber {...p} path="callbacks.withinHours" label="callbackWithinHours" unit="hours" min={1} />
    </Space>
  );
}

/** CP3: the departments that approve a complaint's solution, in order. */
export function Complaints(p: SectionProps) {
  const { t } = useTranslation();
  const chain = p.doc.complaints.approvalChain;
  const departments = p.doc.organisation.departments;
  const nameOf = (code: string) => departments.find((d) => d.code === code)?.name ?? code;
  return (
    <>
      <Field path="complaints.approvalChain" label="approvalChain" problems={p.problems} source={chain.source}>
        <Select
          id={idOf('complaints.approvalChain')}
          mode="multiple"
          style={{ maxWidth: 560 }}
          value={chain.value}
          onChange={(codes) => p.onChange('complaints.approvalChain.value', codes)}
          options={departments.map((d) => ({ value: d.code, label: d.name }))}
        />
      </Field>
      <div style={{ marginBottom: 16 }} data-testid="policy-approval-order">
        <Typography.Text type="secondary">{t('policy.approvalOrder')}</Typography.Text>{' '}
        {chain.value.length === 0 ? t('policy.noApproval') : chain.value.map((c, i) => <Tag key={c}>{`${i + 1}. ${nameOf(c)}`}</Tag>)}
      </div>
      <Space wrap align="start" size="large">
        <SourcedNumber {...p} path="complaints.responseHours" label="complaintResponseHours" unit="hours" min={1} />
        <SourcedSwitch {...p} path="complaints.revisitRequired" label="revisitRequired" />
      </Space>
      <Field path="complaints.apologyMessage" label="apologyMessage" problems={p.problems} source={p.doc.complaints.apologyMessage.source}>
        <Input.TextArea
          id={idOf('complaints.apologyMessage')}
          autoSize={{ minRows: 2, maxRows: 6 }}
          maxLength={500}
          value={p.doc.complaints.apologyMessage.value}
          onChange={(e) => p.onChange('complaints.apologyMessage.value', e.target.value)}
        />
      </Field>
    </>
  );
}

/** The structured sections; the rest of the document is edited as JSON. */
export function StructuredEditor(p: SectionProps) {
  const { t } = useTranslation();
  return (
    <Form layout="vertical" component="div" disabled={p.readOnly}>
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        <Card size="small" title={t('policy.sections.sla')}>
          <SlaTargets {...p} />
        </Card>
        <Card size="small" title={t('policy.sections.hours')}>
          <BusinessHours {...p} />
        </Card>
        <Card size="small" title={t('policy.sections.closedLoop')}>
          <ClosedLoop {...p} />
        </Card>
        <Card size="small" title={t('policy.sections.complaints')}>
          <Complaints {...p} />
        </Card>
      </Space>
    </Form>
  );
}
