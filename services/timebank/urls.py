from django.urls import path

from . import staff_views, views

app_name = "timebank"

urlpatterns = [
    # Members
    path("", views.home, name="home"),
    path("statement/", views.statement, name="statement"),
    path("family/", views.family, name="family"),
    path("gift/", views.gift, name="gift"),
    path("request/", views.service_request, name="request"),
    path("request/<int:request_id>/withdraw/", views.request_withdraw, name="request-withdraw"),
    path("market/", views.market, name="market"),
    path("my-code/", views.my_code, name="my-code"),
    path("my-code.json", views.my_code_json, name="my-code-json"),
    path("redemption/<int:redemption_id>/", views.redemption_confirm, name="redemption-confirm"),
    # Community staff
    path("staff/", staff_views.overview, name="staff-overview"),
    path("staff/counter/", staff_views.counter, name="staff-counter"),
    path("staff/redemption/<int:redemption_id>/reverse/", staff_views.redemption_reverse,
         name="staff-redemption-reverse"),
    path("staff/goods/", staff_views.goods, name="staff-goods"),
    path("staff/statement/", staff_views.market_statement, name="staff-statement"),
    path("staff/transfers/", staff_views.transfers, name="staff-transfers"),
    path("staff/transfers/<int:transfer_id>/reverse/", staff_views.transfer_reverse, name="staff-transfer-reverse"),
    path("staff/requests/", staff_views.requests, name="staff-requests"),
    path("staff/requests/<int:request_id>/decide/", staff_views.request_decide, name="staff-request-decide"),
    path("staff/fund/", staff_views.fund, name="staff-fund"),
    path("staff/fund/<int:payment_id>/decide/", staff_views.fund_payment_decide, name="staff-fund-decide"),
]
