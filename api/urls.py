from django.urls import path
from rest_framework import routers

from . import views


class Router(routers.DefaultRouter):
    APIRootView = views.RootView
    include_format_suffixes = False


router = Router()
router.register("regions", views.RegionViewSet, basename="region")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("monthly-reports", views.MonthlyReportViewSet, basename="report")
router.register("problems", views.ProblemViewSet, basename="problem")
router.register("approval-items", views.ApprovalItemViewSet, basename="approval-item")
router.register("leads", views.LeadViewSet, basename="lead")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("targets", views.TargetViewSet, basename="target")
router.register("rankings", views.RankingSnapshotViewSet, basename="ranking")
router.register("batches", views.BatchEventViewSet, basename="batch")
router.register("stalled", views.StalledViewSet, basename="stalled")
router.register("bulletins", views.BulletinViewSet, basename="bulletin")

app_name = "api"
urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    *router.urls,
]
