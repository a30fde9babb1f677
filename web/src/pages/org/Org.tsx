import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { Departments } from './Departments.tsx';
import { Teams } from './Teams.tsx';
import { StaffTab } from './StaffTab.tsx';
import { RolesTab } from './RolesTab.tsx';
import { useStructure } from './data.ts';

const TABS = ['staff', 'teams', 'departments', 'roles'] as const;
type Tab = (typeof TABS)[number];

/** O1/O2: departments, teams, staff and the role → permissions table, one tab each (the tab is in the address). */
export default function Org() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'staff';
  const { generation } = useRealtimeStatus();
  // Any change to the organisation, here or by another admin, reloads what the tabs show.
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);
  useRealtimeEvents(['department.', 'team.', 'staff.'], () => changed());
  const version = generation + changes;
  const structure = useStructure(version);

  return (
    <>
      <Typography.Title level={2}>{t('nav.org')}</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams({ tab: key }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'staff', label: t('org.tabs.staff'), children: <StaffTab version={version} structure={structure} onChanged={changed} /> },
          { key: 'teams', label: t('org.tabs.teams'), children: <Teams version={version} structure={structure} onChanged={changed} /> },
          { key: 'departments', label: t('org.tabs.departments'), children: <Departments version={version} structure={structure} onChanged={changed} /> },
          { key: 'roles', label: t('org.tabs.roles'), children: <RolesTab /> },
        ]}
      />
    </>
  );
}
