import { describe, expect, it } from 'vitest';
import { scrubText } from './scrub.ts';

const NONE = { names: [], phones: [], emails: [], streets: [] };

describe('K3 personal data scrubbed from shared text', () => {
  it('K3: phone, ID and email shaped text is replaced whatever the customer, in the forms people type them', () => {
    const text = '手机 138-1234-5678，另一个 +86 139 8765 4321，座机 010-12345678，身份证 11010519491231002X，邮箱 zhang.san@example.com';
    expect(scrubText(text, NONE)).toBe('手机 【电话】，另一个 【电话】，座机 【电话】，身份证 【证件号】，邮箱 【邮箱】');
  });

  it('K3: the archive\'s own values go first: name, stored digits-only phone typed with spaces, street', () => {
    const known = { names: ['张三丰'], phones: ['057188886666'], emails: ['ZS@Example.com'], streets: ['文三路 90 号'] };
    const text = '张三丰先生说座机 0571 8888 6666 打不通，邮件 zs@example.com，地址浙江省杭州市西湖区文三路 90 号';
    expect(scrubText(text, known)).toBe('【客户】先生说座机 【电话】 打不通，邮件 【邮箱】，地址浙江省杭州市西湖区【地址】');
  });

  it('K3: order numbers, amounts and dates stay readable', () => {
    const text = '订单 202603021234567 金额 1299 元，2026-03-02 签收，型号 KF-X9';
    expect(scrubText(text, NONE)).toBe(text);
  });
});
