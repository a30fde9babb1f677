import { ROLE_LABELS } from '../../../server/platform/rbac/permissions.ts';

/** The console's words in Simplified Chinese: the reference catalogue the others must match key for key. */
export const zhCN = {
  app: { name: 'Kefu 客服', console: '客服控制台' },
  language: { label: '语言', 'zh-CN': '简体中文', 'zh-TW': '繁體中文', en: 'English' },
  login: {
    title: '登录客服控制台',
    username: '用户名',
    password: '密码',
    submit: '登录',
    usernameRequired: '请输入用户名',
    passwordRequired: '请输入密码',
    failed: '登录失败',
    locked: '账号已锁定',
    apiDocs: '接口文档',
    chatDemo: '在线客服演示',
  },
  session: { loggedOut: '您已退出登录', ended: '登录已失效，请重新登录' },
  nav: { label: '导航', home: '工作台', apiTokens: 'API 令牌' },
  realtime: { reconnecting: '实时连接已中断，正在重连…' },
  user: { menu: '账号菜单', logout: '退出登录' },
  // The server's own Chinese names of the roles (one table for both).
  roles: ROLE_LABELS,
  home: {
    greeting: '你好，{{name}}',
    myStatus: '我的状态',
    statusLabel: '切换接待状态',
    since: '自 {{time}} 起',
    changed: '状态已切换为“{{status}}”',
    overview: '团队概览',
    agents: '坐席',
    queues: '队列',
  },
  apiTokens: {
    create: '新建令牌',
    name: '名称',
    nameRequired: '请填写令牌用途，如“工单系统对接”',
    prefix: '令牌开头',
    createdAt: '创建时间',
    expiresAt: '有效期至',
    lastUsedAt: '最近使用',
    state: '状态',
    active: '有效',
    revoked: '已吊销',
    expired: '已过期',
    never: '永不过期',
    days: '{{count}} 天',
    revoke: '吊销',
    revokeConfirm: '吊销令牌“{{name}}”？使用它的集成将立即失效。',
    revokedDone: '令牌已吊销',
    createdTitle: '令牌已创建',
    shownOnce: '令牌原文只显示这一次，请立即复制并妥善保存。',
    close: '我已保存',
    more: '加载更多',
  },
  agentStatus: { online: '在线', busy: '忙碌', away: '离开', offline: '离线' },
  errors: {
    network: '无法连接服务器，请检查网络后重试',
    badResponse: '服务器返回了无法识别的响应（HTTP {{status}}）',
  },
  notFound: { title: '页面不存在', back: '返回工作台' },
  common: { loading: '加载中…', retry: '重试', loadFailed: '页面加载失败，请刷新后重试', reload: '刷新' },
};

/** Another language's catalogue: the same keys, any words. */
export type Catalogue<T = typeof zhCN> = { [K in keyof T]: T[K] extends string ? string : Catalogue<T[K]> };
