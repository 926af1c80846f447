"""The GraphQL documents the client sends, as constants (one place to read what we ask).

Every list query pages with ``limit``/``page`` (page 1-based; a short or empty page is the
end) and sorts on a unique, stable key, so a page boundary never skips or repeats a row
while nothing is inserted in front of it.

Each document must validate against Centra's documented schema
(``syncs.connectors.centra.schema``); ``documents()`` lists them for that test and for
``manage.py check_apis``, which validates them against the live schema.
"""

from graphql import get_introspection_query

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

# Finance fields, asked apart from ORDERS on purpose: ``currencyBaseRate`` on Order and
# ``Store.id``/``name`` are inferred in the documented schema, and a field Centra turns out
# not to have must cost finance a column, never the orders stream (syncs.orders.finance).
ORDER_FINANCE = """
query orderFinance($numbers: [Int!]!, $limit: Int!) {
  orders(where: {number: $numbers}, sort: [number_ASC], limit: $limit, page: 1) {
    number currencyBaseRate store { id name }
  }
}
"""

# An order's market: the documented schema has no readable Order.market, only the verified
# filter OrderFilter.marketId, so each listed market is asked which of these orders are its.
ORDER_MARKET = """
query orderMarket($numbers: [Int!]!, $market: Int!, $limit: Int!) {
  orders(where: {number: $numbers, marketId: [$market]}, sort: [number_ASC], limit: $limit,
         page: 1) {
    number
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
# ``stock`` pages too (limit 1-200, default 20) [GD productsize.html]: sorted on (size,
# warehouse), unique within a variant, so a variant with more rows is read on in pages.
STOCK_FULL = """
query stock(
  $where: ProductVariantFilter, $limit: Int!, $page: Int!,
  $stockWhere: StockFilter, $stockLimit: Int!, $stockPage: Int!
) {
  productVariants(where: $where, sort: [id_ASC], limit: $limit, page: $page) {
    id
    stock(
      where: $stockWhere, sort: [productSizeId_ASC, warehouseId_ASC],
      limit: $stockLimit, page: $stockPage
    ) {
      productSize { id SKU } warehouse { id name }
      freeToAllocateQuantity physicalQuantity allocatedQuantity
    }
  }
}
"""

STOCK_FTA = """
query stock(
  $where: ProductVariantFilter, $limit: Int!, $page: Int!,
  $stockWhere: StockFilter, $stockLimit: Int!, $stockPage: Int!
) {
  productVariants(where: $where, sort: [id_ASC], limit: $limit, page: $page) {
    id
    stock(
      where: $stockWhere, sort: [productSizeId_ASC, warehouseId_ASC],
      limit: $stockLimit, page: $stockPage
    ) {
      productSize { id SKU } warehouse { id name }
      freeToAllocateQuantity
    }
  }
}
"""

# A return's progress is ``returnStatus`` (PENDING ... COMPLETED); ``status`` is the generic
# ACTIVE/INACTIVE/CANCELLED ``Status`` [GD directtoconsumerreturn.html, status.html].
RETURNS = """
query returns($where: ReturnFilter, $limit: Int!, $page: Int!) {
  returns(where: $where, sort: [id_ASC], limit: $limit, page: $page) {
    id returnStatus createdAt returnedToStock comment
    grandTotal { value currency { code } } currencyBaseRate
    order { id number }
    shipment { id }
    lines {
      id quantity lineValue { value }
      shipmentLine { id } orderLine { id productSize { SKU } }
    }
  }
}
"""
# ``comment`` needs its own permission (Return.comment:read) [GD directtoconsumerreturn]:
# a token without it reads returns with this document instead.
RETURNS_WITHOUT_COMMENT = RETURNS.replace("query returns(", "query returnsWithoutComment(").replace(
    " returnedToStock comment\n", " returnedToStock\n"
)

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
mutation setEventListeners($input: [EventListenerSetInput!]!) {
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


def documents() -> dict[str, str]:
    """Every document above, by constant name."""
    return {
        name: value
        for name, value in globals().items()
        if name.isupper()
        and isinstance(value, str)
        and value.lstrip().startswith(("query", "mutation"))
    }


# -- manage.py check_apis -----------------------------------------------------------------
INTROSPECTION = get_introspection_query(descriptions=False)

# The cheapest call that needs each permission the engines use. The writes change nothing:
# setStock names warehouse 0 (none has it) and no size; setEventListeners sets no listener.
PROBE_ORDERS = "query probeOrders { orders(limit: 1) { id } }"
PROBE_PRODUCTS = "query probeProducts { products(limit: 1) { id variants { id } } }"
PROBE_STOCK = """
query probeStock {
  productVariants(limit: 1) { id stock(limit: 1) { freeToAllocateQuantity physicalQuantity } }
}
"""
PROBE_WAREHOUSES = "query probeWarehouses { warehouses(limit: 1) { id } }"
PROBE_RETURNS = "query probeReturns { returns(limit: 1) { id } }"
PROBE_RETURN_COMMENTS = "query probeReturnComments { returns(limit: 1) { id comment } }"
PROBE_EVENTS = "query probeEvents { eventListeners { objectType } }"
PROBE_SET_STOCK = """
mutation probeSetStock {
  setStock(input: {
    warehouse: {id: 0}, description: "centra-ip check_apis: permission probe, changes nothing",
    stockQuantityType: PHYSICAL, productSizes: []
  }) { userErrors { message } }
}
"""
PROBE_SET_EVENT_LISTENERS = """
mutation probeSetEventListeners { setEventListeners(input: []) { userErrors { message } } }
"""
