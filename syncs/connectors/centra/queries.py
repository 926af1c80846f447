"""The GraphQL documents the client sends, as constants (one place to read what we ask).

Every list query pages with ``limit``/``page`` (page 1-based; a short or empty page is the
end) and sorts on a unique, stable key, so a page boundary never skips or repeats a row
while nothing is inserted in front of it.
"""

ORDERS = """
query orders($where: OrderFilter, $limit: Int!, $page: Int!) {
  orders(where: $where, sort: [orderDate_ASC, number_ASC], limit: $limit, page: $page) {
    id number status orderDate createdAt
    store { type }
    grandTotal { value currency { code } }
    lines(includeFullyCancelled: true) {
      id productName quantity cancelledQuantity returnedQuantity
      productSize { id SKU EAN }
      unitPrice { value }
    }
  }
}
"""

PRODUCT_SIZES = """
query productSizes($status: [ProductStatus!], $limit: Int!, $page: Int!) {
  products(where: {status: $status}, sort: [id_ASC], limit: $limit, page: $page) {
    id productNumber name status
    variants {
      id variantNumber name
      productSizes { id sizeNumber SKU EAN size { name } }
    }
  }
}
"""

WAREHOUSES = """
query warehouses($limit: Int!, $page: Int!) {
  warehouses(sort: [id_ASC], limit: $limit, page: $page) { id name }
}
"""

# freeToAllocateQuantity adds nothing to query complexity; the other quantities are
# expensive [RL], so the FTA-only read exists for frequent checks.
STOCK_FULL = """
query stock($where: ProductVariantFilter, $limit: Int!, $page: Int!, $stockLimit: Int!) {
  productVariants(where: $where, sort: [id_ASC], limit: $limit, page: $page) {
    id
    stock(limit: $stockLimit) {
      productSize { id SKU } warehouse { id name }
      freeToAllocateQuantity physicalQuantity allocatedQuantity
    }
  }
}
"""

STOCK_FTA = """
query stock($where: ProductVariantFilter, $limit: Int!, $page: Int!, $stockLimit: Int!) {
  productVariants(where: $where, sort: [id_ASC], limit: $limit, page: $page) {
    id
    stock(limit: $stockLimit) {
      productSize { id SKU } warehouse { id name }
      freeToAllocateQuantity
    }
  }
}
"""

RETURNS = """
query returns($where: ReturnFilter, $limit: Int!, $page: Int!) {
  returns(where: $where, limit: $limit, page: $page) {
    id status createdAt returnedToStock comment
    order { id number }
    shipment { id }
    lines { id quantity shipmentLine { id } orderLine { id productSize { SKU } } }
  }
}
"""

# Order ids are Strings and the other objects' ids Ints: GraphQL needs two aliases.
EVENTS = """
query events($where: EventFilter, $limit: Int!) {
  events(where: $where, limit: $limit) {
    id objectType changeType objectReference createdAt
    object {
      __typename
      ... on Order { orderId: id number }
      ... on Shipment { objectId: id }
      ... on Return { objectId: id }
      ... on Product { objectId: id }
      ... on ProductVariant { objectId: id }
    }
  }
}
"""

SET_EVENT_LISTENERS = """
mutation setEventListeners($input: [EventListenerInput!]!) {
  setEventListeners(input: $input) {
    eventListeners { objectType changeTypes }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

CONFIRM_EVENTS = """
mutation confirmEvents($ids: [Int!]!) {
  confirmEvents(input: {eventsIds: $ids}) {
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

SET_STOCK = """
mutation setStock($input: StockSetInput!) {
  setStock(input: $input) {
    stockChanges { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

CHANGE_STOCK = """
mutation changeStock($input: StockChangeInput!) {
  changeStock(input: $input) {
    stockChange { id }
    userErrors { message path }
    userWarnings { message path }
  }
}
"""

RATE_LIMITS = """
query rateLimits {
  rateLimits { type intervalSeconds quota usedQuota remainingQuota }
}
"""
