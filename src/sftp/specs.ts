/**
 * The four Listrak import files, column by column. Column names are Listrak's lower-case file headers; lengths
 * are the smaller of the file schema's and the Data API's where both give one. Columns past the point where
 * Listrak's published schema pages end follow the Data API fields (see README, "listrak-sftp-export").
 */
import type { FileKind } from '../config/export.js';

export type ColumnType = 'string' | 'decimal' | 'integer' | 'boolean' | 'date' | 'datetime' | 'phone' | 'gender' | 'discount_type' | 'order_status';

export interface Column {
  name: string;
  type: ColumnType;
  max?: number;
}

export interface FileSpec {
  kind: FileKind;
  /** File name before `_DATE.csv`. */
  prefix: string;
  columns: Column[];
  /** Columns every row must have. */
  keys: string[];
}

const s = (name: string, max?: number): Column => ({ name, type: 'string', max });
const t = (name: string, type: ColumnType, max?: number): Column => ({ name, type, max });
const meta = (max: number) => [1, 2, 3, 4, 5].map((i) => s(`meta${i}`, max));
const decimals = (...names: string[]) => names.map((n) => t(n, 'decimal'));
const booleans = (...names: string[]) => names.map((n) => t(n, 'boolean'));

export const FILE_SPECS: Record<FileKind, FileSpec> = {
  customers: {
    kind: 'customers',
    prefix: 'Listrak_Customer',
    keys: ['email'],
    columns: [
      s('email', 100),
      s('customernumber', 20),
      t('mobilephone', 'phone'),
      t('birthday', 'date'),
      t('gender', 'gender', 1),
      s('firstname', 50),
      s('lastname', 50),
      s('address1', 100),
      s('address2', 100),
      s('address3', 100),
      s('city', 40),
      s('state', 3),
      s('zipcode', 20),
      s('country', 2),
      s('preferredstorenumber', 100),
      t('registered', 'boolean'),
      t('homephone', 'phone'),
      t('workphone', 'phone'),
      ...meta(250),
    ],
  },
  orders: {
    kind: 'orders',
    prefix: 'Listrak_Order_Feed',
    keys: ['ordernumber'],
    columns: [
      s('ordernumber', 50),
      s('alternateordernumber', 50),
      t('dateentered', 'datetime'),
      s('email', 100),
      s('customernumber', 20),
      ...decimals('itemtotal', 'shippingtotal', 'handlingtotal', 'taxtotal', 'merchandisediscount', 'nonmerchandisediscount', 'ordertotal'),
      t('merchandisediscounttype', 'discount_type'),
      s('merchandisediscountdescription', 100),
      t('nonmerchandisediscounttype', 'discount_type'),
      s('nonmerchandisediscountdescription', 100),
      t('status', 'order_status'),
      t('shipdate', 'datetime'),
      s('trackingnumber', 32),
      s('shippingmethod', 32),
      s('couponcode', 32),
      s('source', 25),
      s('storenumber', 100),
      s('associateid', 50),
      ...meta(500),
    ],
  },
  order_items: {
    kind: 'order_items',
    prefix: 'Listrak_OrderItem_Feed',
    keys: ['ordernumber', 'sku'],
    columns: [
      s('ordernumber', 50),
      s('alternateordernumber', 50),
      s('sku', 100),
      t('status', 'order_status'),
      t('quantity', 'integer'),
      ...decimals('price', 'discountedprice', 'itemdiscounttotal', 'itemtotal'),
      t('discounttype', 'discount_type'),
      s('discountdescription', 100),
      t('shipdate', 'datetime'),
      s('trackingnumber', 32),
      s('shippingmethod', 32),
      ...meta(500),
    ],
  },
  products: {
    kind: 'products',
    prefix: 'Listrak_Product_Feed',
    keys: ['sku'],
    columns: [
      s('sku', 100),
      s('title', 500),
      t('price', 'decimal'),
      s('description', 4000),
      s('imageurl', 500),
      s('linkurl', 500),
      s('brand', 50),
      s('category', 50),
      s('subcategory', 50),
      s('mastersku', 100),
      t('qoh', 'integer'),
      ...booleans('instock', 'onsale'),
      t('salestartdate', 'datetime'),
      t('saleenddate', 'datetime'),
      ...decimals('saleprice', 'msrp', 'unitcost'),
      s('color', 100),
      s('size', 50),
      s('style', 100),
      s('gender', 50),
      ...booleans('isclearance', 'isoutlet', 'ispurchasable', 'isviewable', 'discontinued'),
      s('reviewproductid', 100),
      s('reviewurl', 500),
      s('tags', 4000),
      ...meta(500),
    ],
  },
};

export const DISCOUNT_TYPES = [
  'NotSet', 'PriceOverride', 'PriceRule', 'Promotion', 'SeniorCitizen', 'Markdown', 'Coupon', 'QuantityDiscount', 'Rebate', 'CashDiscount', 'TradeDiscount',
  'TradeInKind', 'PromptPaymentDiscount', 'GeneralDiscount', 'GiftVoucher', 'FlexibleDiscount', 'RewardProgram', 'ManufacturerReward', 'CreditCardReward',
];

/** Order statuses in Listrak's numbering (the order-item file also accepts the number). */
export const ORDER_STATUSES = ['NotSet', 'Misc', 'PreOrder', 'BackOrder', 'Pending', 'Hold', 'Processing', 'Shipped', 'Completed', 'Returned', 'Canceled', 'Unknown', 'Closed'];

/** `Listrak_Order_Feed_20261124.csv`: the date pattern's YYYY, MM, DD, HH, mm, ss filled from the UTC time. */
export function fileName(spec: FileSpec, pattern: string, at: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = pattern
    .replace(/YYYY/g, pad(at.getUTCFullYear(), 4))
    .replace(/MM/g, pad(at.getUTCMonth() + 1))
    .replace(/DD/g, pad(at.getUTCDate()))
    .replace(/HH/g, pad(at.getUTCHours()))
    .replace(/mm/g, pad(at.getUTCMinutes()))
    .replace(/ss/g, pad(at.getUTCSeconds()));
  return `${spec.prefix}_${date}.csv`;
}
