import { useSearchParams } from 'react-router';
import { CustomerList } from './CustomerList.tsx';
import { CustomerProfile } from './CustomerProfile.tsx';

/** One screen: the list, or with `?id=` a customer's profile (like the workspace's `?c=`), so the navigation needs one row. */
export default function Customers() {
  const [params] = useSearchParams();
  const id = params.get('id');
  return id ? <CustomerProfile key={id} id={id} /> : <CustomerList />;
}
