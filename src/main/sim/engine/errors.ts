// The IB error codes the venue answers with, in TWS's wording.
import type { VenueError } from './types';

const REJECTED = 'Order rejected - reason:';

export const venueErrors = {
  noSecurityDefinition: (): VenueError => ({ code: 200, message: 'No security definition has been found for the request' }),
  rejected: (reason: string): VenueError => ({ code: 201, message: `${REJECTED}${reason}` }),
  invalidQuantity: (): VenueError => ({ code: 201, message: `${REJECTED}Order quantity is invalid.` }),
  insufficientEquity: (equityWithLoan: number, initialMargin: number): VenueError => ({
    code: 201,
    message:
      `${REJECTED}Your order is not accepted. In order to obtain the desired position your Equity with Loan Value ` +
      `[${equityWithLoan.toFixed(2)} USD] must exceed the Initial Margin [${initialMargin.toFixed(2)} USD]`,
  }),
  validation: (cause: string): VenueError => ({ code: 321, message: `Error validating request:-'bN' : cause - ${cause}` }),
  tickSize: (): VenueError => ({
    code: 110,
    message: 'The price does not conform to the minimum price variation for this contract.',
  }),
  unsupportedOrderType: (): VenueError => ({ code: 387, message: 'Unsupported order type for this exchange and security type.' }),
  duplicateOrderId: (): VenueError => ({ code: 103, message: 'Duplicate order id' }),
  modifyFilled: (): VenueError => ({ code: 104, message: 'Cannot modify a filled order.' }),
  orderNotFound: (orderId: number): VenueError => ({ code: 135, message: `Can't find order with id =${orderId}` }),
  cannotCancel: (orderId: number, state: string): VenueError => ({
    code: 10148,
    message: `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${state}.`,
  }),
};
