"""The default checklists (前期手续模板), loaded by a data migration and by ``load_approval_templates``.

Limits are in working days. Statutory limits follow the usual national rules
(the Administrative Licensing Law counts in working days): 核准 and 审批 20 days,
用地预审 20, the planning permits 20, 环评 60 for a 报告书 (30 for a 报告表, 登记表
filed at once; one item carries the longest), 节能审查 20, 水土保持 20, 施工许可 7.
Promised limits are the shorter ones local "放管服" commitments typically publish;
the admin edits both per region's reality. ``department_name`` is matched as a
substring of the handling department's name (自然资源 → 交城县自然资源局).

The loader takes the model classes as arguments so the migration can pass its
historical models.
"""

# (kind, name, department name contains, statutory days, promised days)
INDUSTRY = [
    ("project_approval", "立项备案", "发展和改革", 3, 1),
    ("land_preview", "用地预审与选址意见书", "自然资源", 20, 10),
    ("land_planning", "建设用地规划许可证", "自然资源", 20, 7),
    ("works_planning", "建设工程规划许可证", "自然资源", 20, 10),
    ("eia", "环境影响评价（报告书/报告表/登记表）", "生态环境", 60, 30),
    ("energy", "节能审查", "发展和改革", 20, 10),
    ("soil_water", "水土保持方案审批", "水利", 20, 10),
    ("construction_permit", "建筑工程施工许可证", "住房和城乡建设", 7, 3),
]

INFRASTRUCTURE = [
    ("project_approval", "立项审批（项目建议书/可行性研究报告）", "发展和改革", 20, 10),
    ("land_preview", "用地预审与选址意见书", "自然资源", 20, 10),
    ("eia", "环境影响评价（报告书/报告表/登记表）", "生态环境", 60, 30),
    ("energy", "节能审查", "发展和改革", 20, 10),
    ("soil_water", "水土保持方案审批", "水利", 20, 10),
    ("other", "初步设计及概算审批", "发展和改革", 20, 10),
    ("land_planning", "建设用地规划许可证", "自然资源", 20, 7),
    ("works_planning", "建设工程规划许可证", "自然资源", 20, 10),
    ("construction_permit", "建筑工程施工许可证", "住房和城乡建设", 7, 3),
]

# template name -> (project category, items)
TEMPLATES = {
    "产业类项目": ("industry", INDUSTRY),
    "基础设施类项目": ("infrastructure", INFRASTRUCTURE),
}


def load_defaults(template_model, item_model) -> tuple[int, int]:
    """Create the default templates and any of their items missing; (templates created, items created).

    Existing templates and items are left as the admin edited them.
    """
    templates_created = items_created = 0
    for name, (category, items) in TEMPLATES.items():
        template, created = template_model.objects.get_or_create(name=name, defaults={"category": category})
        templates_created += created
        for order, (kind, item_name, department, statutory, promised) in enumerate(items, 1):
            _item, created = item_model.objects.get_or_create(
                template=template,
                kind=kind,
                name=item_name,
                defaults={
                    "department_name": department,
                    "statutory_days": statutory,
                    "promised_days": promised,
                    "sort_order": order * 10,
                },
            )
            items_created += created
    return templates_created, items_created
