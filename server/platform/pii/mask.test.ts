import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { Nullable } from '../http/schemas.ts';
import { PII_KINDS, mask, maskAddress, maskEmail, maskIdCard, maskLandline, maskMobile, maskName, maskPhone } from './mask.ts';
import { Pii, maskBySchema, maskPlan } from './schema-mask.ts';

describe('C4 masking formats', () => {
  it('C4: a mobile number keeps its first three and last four digits: 13812343836 → 138****3836', () => {
    expect(maskMobile('13812343836')).toBe('138****3836');
    expect(maskMobile(' 13812343836 ')).toBe('138****3836');
    expect(maskMobile('138-1234-3836')).toBe('138****3836');
    expect(maskMobile('138 1234 3836')).toBe('138****3836');
  });

  it('C4: a mobile number with a country code keeps the code: +86 138 1234 3836 → +86 138****3836', () => {
    expect(maskMobile('+8613812343836')).toBe('+86138****3836');
    expect(maskMobile('+86 138 1234 3836')).toBe('+86 138****3836');
    expect(maskMobile('+86-138-1234-3836')).toBe('+86-138****3836');
    expect(maskMobile('0086 13812343836')).toBe('0086 138****3836');
    expect(maskMobile('(+86)13812343836')).toBe('(+86)138****3836');
  });

  it('C4: an unusual phone string still hides its middle digits', () => {
    expect(maskMobile('1381234383')).toBe('138****4383');
    expect(maskMobile('12345')).toBe('1***5');
    expect(maskMobile('1381234383')).not.toContain('1234');
  });

  it('C4: a landline keeps the area code and the last four digits: 010-12345678 → 010-****5678', () => {
    expect(maskLandline('010-12345678')).toBe('010-****5678');
    expect(maskLandline('(010)12345678')).toBe('(010)****5678');
    expect(maskLandline('0755-1234567')).toBe('0755-****4567');
    expect(maskLandline('010 1234 5678')).toBe('010 ****5678');
    expect(maskLandline('+86-10-12345678')).toBe('+86-10-****5678');
    expect(maskLandline('87654321')).toBe('****4321');
    expect(maskLandline('010-12345678转123')).toBe('010-****5678');
    // Digits only, as customer archives store them: the area code is found by its first digits.
    expect(maskLandline('01012345678')).toBe('010****5678');
    expect(maskLandline('075512345678')).toBe('0755****5678');
    expect(maskPhone('02112345678')).toBe('021****5678');
  });

  it('C4: a phone of unknown kind is masked as a mobile or a landline by its digits', () => {
    expect(maskPhone('13812343836')).toBe('138****3836');
    expect(maskPhone('+86 138 1234 3836')).toBe('+86 138****3836');
    expect(maskPhone('010-12345678')).toBe('010-****5678');
  });

  it('C4: an 18-digit ID keeps the first six and last four: 11010519900101002X → 110105********002X', () => {
    expect(maskIdCard('11010519900101002X')).toBe('110105********002X');
    expect(maskIdCard('110105199001010021')).toBe('110105********0021');
    expect(maskIdCard('11010519900101002x')).toBe('110105********002x');
  });

  it('C4: a 15-digit ID keeps the first six and last four', () => {
    expect(maskIdCard('110105900101002')).toBe('110105*****1002');
  });

  it('C4: another identity document number shows only its first and last character', () => {
    expect(maskIdCard('E12345678')).toBe('E*******8');
  });

  it('C4: an email keeps its first character and the domain: alice@example.com → a***@example.com', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('a@b.cn')).toBe('a***@b.cn');
    expect(maskEmail('张三@例子.中国')).toBe('张***@例子.中国');
    expect(maskEmail('not-an-email')).toBe('n***');
  });

  it('C4: an address is cut after the district: 北京市朝阳区建国路88号 → 北京市朝阳区****', () => {
    expect(maskAddress('北京市朝阳区建国路88号')).toBe('北京市朝阳区****');
    expect(maskAddress('广东省深圳市南山区科技园')).toBe('广东省深圳市南山区****');
    expect(maskAddress('上海浦东新区陆家嘴环路1000号')).toBe('上海浦东新区****');
    expect(maskAddress('江苏省苏州市昆山市玉山镇')).toBe('江苏省苏州市昆山市****');
    expect(maskAddress('新疆维吾尔自治区乌鲁木齐市天山区解放北路')).toBe('新疆维吾尔自治区乌鲁木齐市天山区****');
    expect(maskAddress('内蒙古自治区锡林郭勒盟锡林浩特市额尔敦路')).toBe('内蒙古自治区锡林郭勒盟锡林浩特市****');
    expect(maskAddress('香港特别行政区中西区皇后大道中')).toBe('香港特别行政区中西区****');
    expect(maskAddress('朝阳区建国路88号')).toBe('朝阳区****');
  });

  it('C4: a street that contains 市, 区 or 省 is never taken for a city or district', () => {
    expect(maskAddress('杭州西湖区文三路电子市场区域')).toBe('杭州西湖区****');
    expect(maskAddress('北京朝阳区建国路88号华贸商城市区店')).toBe('北京朝阳区****');
    expect(maskAddress('北京市海淀区省府路1号院区')).toBe('北京市海淀区****');
    expect(maskAddress('上海市黄浦区南京东路1号2单元区')).toBe('上海市黄浦区****');
    // An address with no recognisable district shows at most its first third.
    expect(maskAddress('文三路电子市场区域')).toBe('文三路****');
    expect(maskAddress('建国路88号')).toBe('建国****');
  });

  it('C4: a name keeps its first character: 张三丰 → 张**', () => {
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('Alice Smith')).toBe('A****');
  });

  it('C4: every kind masks something and leaves an empty value empty', () => {
    for (const kind of PII_KINDS) {
      expect(mask(kind, '')).toBe('');
      expect(mask(kind, '13812343836')).not.toBe('13812343836');
    }
  });
});

describe('C4 schema-driven masking', () => {
  const Contact = Type.Object({ label: Type.String(), phone: Pii('mobile'), email: Nullable(Pii('email')) });
  const Customer = Type.Object({
    id: Type.String(),
    name: Pii('name'),
    username: Type.String(),
    idNumber: Nullable(Pii('id_card')),
    contacts: Type.Array(Contact),
    addresses: Type.Array(Type.Array(Pii('address'))),
    phones: Type.Array(Pii('phone')),
    kind: Type.Union([Type.Object({ type: Type.Literal('person'), mobile: Pii('mobile') }), Type.Object({ type: Type.Literal('company'), landline: Pii('landline') })]),
  });
  const Listing = Type.Object({ data: Type.Array(Customer), nextCursor: Nullable(Type.String()) });

  const clear = {
    id: 'c1',
    name: '张三丰',
    username: 'zhangsf',
    idNumber: '11010519900101002X',
    contacts: [
      { label: '本人', phone: '13812343836', email: 'alice@example.com' },
      { label: '家属', phone: '13900001111', email: null },
    ],
    addresses: [['北京市朝阳区建国路88号'], ['广东省深圳市南山区科技园', '上海浦东新区陆家嘴环路1000号']],
    phones: ['010-12345678', '13812343836'],
    kind: { type: 'company', landline: '010-12345678' },
  };

  it('C4: the plan finds personal fields in nested objects, arrays and unions', () => {
    const plan = maskPlan(Listing).map((p) => `${p.path.join('.')}:${p.kind}`);
    expect(plan.sort()).toEqual(
      [
        'data.*.name:name',
        'data.*.idNumber:id_card',
        'data.*.contacts.*.phone:mobile',
        'data.*.contacts.*.email:email',
        'data.*.addresses.*.*:address',
        'data.*.phones.*:phone',
        'data.*.kind.mobile:mobile',
        'data.*.kind.landline:landline',
      ].sort(),
    );
  });

  it('C4: maskBySchema masks every declared personal field and nothing else', () => {
    const masked = maskBySchema(Listing, { data: [clear], nextCursor: 'abc' });
    expect(masked).toEqual({
      data: [
        {
          id: 'c1',
          name: '张**',
          username: 'zhangsf',
          idNumber: '110105********002X',
          contacts: [
            { label: '本人', phone: '138****3836', email: 'a***@example.com' },
            { label: '家属', phone: '139****1111', email: null },
          ],
          addresses: [['北京市朝阳区****'], ['广东省深圳市南山区****', '上海浦东新区****']],
          phones: ['010-****5678', '138****3836'],
          kind: { type: 'company', landline: '010-****5678' },
        },
      ],
      nextCursor: 'abc',
    });
  });

  it('C4: masking copies; the value it was given is left as it was', () => {
    const copy = structuredClone(clear);
    maskBySchema(Customer, copy);
    expect(copy).toEqual(clear);
  });

  it('C4: an intersection (a view plus extra fields) is masked too', () => {
    const WithSecret = Type.Intersect([Type.Object({ phone: Pii('mobile') }), Type.Object({ token: Type.String() })]);
    expect(maskBySchema(WithSecret, { phone: '13812343836', token: 't' })).toEqual({ phone: '138****3836', token: 't' });
  });

  it('C4: missing, null and non-string personal values pass through untouched', () => {
    expect(maskBySchema(Customer, { id: 'x', idNumber: null, contacts: null } as unknown)).toEqual({ id: 'x', idNumber: null, contacts: null });
    expect(maskBySchema(Type.Array(Contact), [])).toEqual([]);
  });

  it('C4: personal values inside a record (map of key → value) are masked', () => {
    const schema = Type.Object({ contacts: Type.Record(Type.String(), Type.Object({ phone: Pii('mobile') })) });
    expect(maskBySchema(schema, { contacts: { 张三: { phone: '13812343836' }, 李四: { phone: '13900001111' } } })).toEqual({
      contacts: { 张三: { phone: '138****3836' }, 李四: { phone: '139****1111' } },
    });
  });

  it('C4: an array of personal values at the top level is masked', () => {
    expect(maskBySchema(Type.Array(Pii('email')), ['alice@example.com', 'bob@example.com'])).toEqual(['a***@example.com', 'b***@example.com']);
  });
});
