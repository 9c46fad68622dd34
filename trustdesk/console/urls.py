from django.urls import path

from trustdesk.console.views import looks, overview, records, requests, weblogs

urlpatterns = [
    path("", overview.dashboard, name="dashboard"),
    path("requests/", requests.queue, name="queue"),
    path("requests/new/", requests.entry, name="entry"),
    path("requests/<str:reference>/", requests.detail, name="request"),
    path("requests/<str:reference>/original/", requests.original, name="request_original"),
    path("requests/<str:reference>/files/<int:pk>/", requests.download, name="request_file"),
    path("requests/<str:reference>/<slug:action>/", requests.act, name="request_action"),
    path("search/", records.search, name="search"),
    path("people/<int:pk>/", records.person, name="person"),
    path("people/<int:pk>/unlock/", records.unlock, name="person_unlock"),
    path("people/<int:pk>/two-factor/remove/", records.remove_two_factor, name="person_two_factor_remove"),
    path("people/<int:pk>/notices/told/", records.notices_told_otherwise, name="person_notices_told"),
    path("people/<int:pk>/account/close/", records.close_account, name="person_account_close"),
    path("people/<int:pk>/account/reopen/", records.reopen_account, name="person_account_reopen"),
    path(
        "people/<int:pk>/two-factor/approve/",
        records.approve_two_factor_removal,
        name="person_two_factor_approve",
    ),
    path(
        "people/<int:pk>/two-factor/withdraw/",
        records.withdraw_two_factor_removal,
        name="person_two_factor_withdraw",
    ),
    path("organisations/<int:pk>/", records.organisation, name="organisation"),
    path("staff/<int:pk>/looks/", looks.staff_looks, name="staff_looks"),
    path("policy/", overview.policy, name="policy"),
    path("weblogs/", weblogs.weblogs, name="weblogs"),
]
