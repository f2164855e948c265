-- Demo catalogue (after seed.sql, before 30_orders.sql, whose order items name these products):
-- what the commerce screens show for the two demo brands. Products in every status (active with
-- tracked stock, a draft, an archived one, a made-to-order piece without stock), customisation
-- schemas, a shipping rate per currency, discount codes, designs with their versions and a
-- collection, the template gallery (free and premium, ratings, a user's copy and favourites),
-- cliparts, AR models and a public AR experience. Prices in minor units.
--
-- Written as the superuser, as the other seed files: the triggers run (audit log, updated_at,
-- design versions) with no signed-in user, so auth.uid() is null where they read it. Columns
-- filled from auth.uid() (created_by, added_by, design_versions.created_by) are given here.
-- Counters only RPCs move (template views, downloads and ratings, AR views) are set as if
-- people had used the demo; the ratings are rows of private.template_ratings, as
-- rate_template() writes them, and the templates' averages are computed from them.
--
-- Safe to run twice: fixed keys, `on conflict do nothing`; the updates below only touch rows
-- still in the state the first insert left them.

-- == products ====================================================================================

-- Maison Aurore sells leather goods and jewellery in euros; its Geneva boutique sells a watch in
-- Swiss francs. Atelier Boreal sells glass and textiles in Swedish kronor.
insert into public.products (
    id,
    organization_id,
    sku,
    name,
    description,
    price_amount,
    currency,
    track_stock,
    stock,
    low_stock_threshold,
    status,
    images,
    customisation_schema
)
values
(
    '00000000-0000-4000-8000-000000000201',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-PC-GRAIN',
    'Porte-cartes en cuir grainé',
    'Six emplacements, cuir de veau grainé tanné en France, tranches peintes à la main.',
    8900,
    'EUR',
    true,
    42,
    5,
    'active',
    array[
        'https://maison-aurore.example/images/porte-cartes-cognac.jpg',
        'https://maison-aurore.example/images/porte-cartes-noir.jpg'
    ],
    '{"fields": [
        {"key": "initials", "label": "Initiales (embossage à chaud)", "type": "text", "max_length": 3,
         "pattern": "^[A-Z]+$"},
        {"key": "colour", "label": "Couleur du cuir", "type": "choice", "required": true,
         "options": ["Noir", "Cognac", "Bordeaux", "Vert sapin"]},
        {"key": "gift_wrap", "label": "Écrin cadeau", "type": "boolean"}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000202',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-JONC-VERMEIL',
    'Bracelet jonc gravé, vermeil',
    'Jonc ouvert en argent massif plaqué or 18 carats, gravure intérieure au burin.',
    15600,
    'EUR',
    true,
    3,
    5,
    'active',
    '{https://maison-aurore.example/images/jonc-vermeil.jpg}',
    '{"fields": [
        {"key": "engraving", "label": "Gravure intérieure", "type": "text", "max_length": 24},
        {"key": "finish", "label": "Finition", "type": "choice", "required": true, "options": ["Or jaune", "Or rose"]},
        {"key": "wrist_cm", "label": "Tour de poignet (cm)", "type": "number", "min": 14, "max": 20}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000203',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-CARNET-A5',
    'Carnet relié cuir A5',
    'Papier vergé 120 g, reliure cousue, couverture en cuir pleine fleur.',
    7900,
    'EUR',
    true,
    120,
    20,
    'active',
    '{https://maison-aurore.example/images/carnet-a5.jpg}',
    '{"fields": [
        {"key": "initials", "label": "Initiales dorées", "type": "text", "max_length": 3, "pattern": "^[A-Z]+$"}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000204',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-BANDEAU-PE25',
    'Bandeau en soie imprimé, Printemps 2025',
    'Twill de soie imprimé à Lyon. Collection terminée.',
    6700,
    'EUR',
    true,
    0,
    null,
    'archived',
    '{https://maison-aurore.example/images/bandeau-printemps-2025.jpg}',
    null
),
(
    '00000000-0000-4000-8000-000000000205',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-CEINTURE-MESURE',
    'Ceinture sur mesure',
    'Fabriquée à la commande dans notre atelier de Pantin, livrée sous trois semaines.',
    12000,
    'EUR',
    false,
    0,
    null,
    'active',
    '{https://maison-aurore.example/images/ceinture-mesure.jpg}',
    '{"fields": [
        {"key": "waist_cm", "label": "Tour de taille (cm)", "type": "number", "required": true, "min": 60, "max": 140},
        {"key": "buckle", "label": "Boucle", "type": "choice", "required": true, "options": ["Palladium", "Laiton doré"]},
        {"key": "colour", "label": "Couleur du cuir", "type": "choice", "required": true,
         "options": ["Noir", "Cognac", "Bordeaux"]},
        {"key": "initials", "label": "Initiales sur le passant", "type": "text", "max_length": 3, "pattern": "^[A-Z]+$"}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000206',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-CH-CELESTE-36',
    'Montre Céleste, boîtier acier 36 mm',
    'Mouvement automatique, cadran émaillé. Vendue par la boutique de Genève.',
    41200,
    'CHF',
    true,
    6,
    2,
    'active',
    '{https://maison-aurore.example/images/montre-celeste.jpg}',
    '{"fields": [
        {"key": "caseback", "label": "Gravure du fond de boîte", "type": "text", "max_length": 40}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000207',
    '00000000-0000-4000-8000-0000000000a1',
    'AUR-POCHETTE-SOIR',
    'Pochette du soir en satin',
    'En préparation pour la collection Hiver 2026.',
    19500,
    'EUR',
    true,
    0,
    3,
    'draft',
    '{}',
    '{"fields": [
        {"key": "lining", "label": "Doublure", "type": "choice", "options": ["Ivoire", "Nuit"]}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000211',
    '00000000-0000-4000-8000-0000000000a2',
    'BOR-LYKTA-01',
    'Lykta, lanterne en verre soufflé',
    'Verre soufflé à la bouche à Småland, socle en chêne huilé.',
    64500,
    'SEK',
    true,
    14,
    4,
    'active',
    '{https://atelier-boreal.example/images/lykta.jpg}',
    '{"fields": [
        {"key": "engraving", "label": "Gravure du socle", "type": "text", "max_length": 20},
        {"key": "glass", "label": "Verre", "type": "choice", "required": true, "options": ["Klar", "Rök", "Havsblå"]}
    ]}'
),
(
    '00000000-0000-4000-8000-000000000212',
    '00000000-0000-4000-8000-0000000000a2',
    'BOR-PLAID-ULL',
    'Plaid en laine tissé main',
    'Laine de mouton de Gotland, tissé sur métier à bras.',
    60000,
    'SEK',
    true,
    9,
    3,
    'active',
    '{https://atelier-boreal.example/images/plaid.jpg}',
    '{"fields": [
        {"key": "colour", "label": "Couleur", "type": "choice", "required": true, "options": ["Natur", "Skog", "Midnatt"]}
    ]}'
)
on conflict (id) do nothing;

-- == shipping rates and discount codes ===========================================================

-- one flat rate per currency each brand sells in
insert into public.shipping_rates (id, organization_id, currency, amount)
values
('00000000-0000-4000-8000-000000000901', '00000000-0000-4000-8000-0000000000a1', 'EUR', 1500),
('00000000-0000-4000-8000-000000000902', '00000000-0000-4000-8000-0000000000a1', 'CHF', 2500),
('00000000-0000-4000-8000-000000000903', '00000000-0000-4000-8000-0000000000a2', 'SEK', 14900)
on conflict do nothing;

-- a welcome code (10 %, once per customer), a scheduled holiday amount off (not valid yet), a
-- switched-off one; Atelier Boreal's winter code. No demo order used a code: uses is 0.
insert into public.discount_codes (
    id,
    organization_id,
    code,
    kind,
    percent_bp,
    amount,
    currency,
    valid_from,
    valid_until,
    max_uses,
    max_uses_per_customer,
    active
)
values
(
    '00000000-0000-4000-8000-000000000911',
    '00000000-0000-4000-8000-0000000000a1',
    'BIENVENUE10',
    'percent',
    1000,
    null,
    null,
    now() - interval '30 days',
    now() + interval '60 days',
    null,
    1,
    true
),
(
    '00000000-0000-4000-8000-000000000912',
    '00000000-0000-4000-8000-0000000000a1',
    'FETES-2026',
    'amount',
    null,
    2000,
    'EUR',
    now() + interval '10 days',
    now() + interval '40 days',
    500,
    1,
    true
),
(
    '00000000-0000-4000-8000-000000000913',
    '00000000-0000-4000-8000-0000000000a1',
    'PRESSE-2025',
    'percent',
    2500,
    null,
    null,
    null,
    null,
    50,
    null,
    false
),
(
    '00000000-0000-4000-8000-000000000914',
    '00000000-0000-4000-8000-0000000000a2',
    'VINTER15',
    'percent',
    1500,
    null,
    null,
    now() - interval '5 days',
    now() + interval '90 days',
    200,
    1,
    true
)
on conflict do nothing;

-- == designs, their versions, a collection =======================================================

-- Each insert makes version 1 (trigger _100_keep_version); the updates below save a second data,
-- which makes version 2, once (they only match a design still at version 1).
insert into public.designs (
    id, organization_id, product_id, created_by, name, status, data, thumbnail, created_at
)
values
(
    '00000000-0000-4000-8000-000000000301',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000201',
    '00000000-0000-4000-8000-000000000002',
    'Initiales A.L., porte-cartes cognac',
    'completed',
    '{"canvas": {"width": 800, "height": 500}, "layers": [
        {"type": "text", "text": "AL", "font": "Didot", "size": 48, "x": 400, "y": 250, "colour": "#b08d57"}
    ]}',
    '00000000-0000-4000-8000-0000000000a1/designs/initiales-al.png',
    now() - interval '6 days'
),
(
    '00000000-0000-4000-8000-000000000302',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000202',
    '00000000-0000-4000-8000-000000000002',
    'Gravure « Pour toujours », jonc',
    'draft',
    '{"canvas": {"width": 1200, "height": 200}, "layers": [
        {"type": "text", "text": "Pour toujours", "font": "Snell Roundhand", "size": 36, "x": 600, "y": 100}
    ]}',
    null,
    now() - interval '2 days'
),
(
    '00000000-0000-4000-8000-000000000303',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000205',
    '00000000-0000-4000-8000-000000000001',
    'Monogramme Aurore, ceinture',
    'completed',
    '{"canvas": {"width": 600, "height": 300}, "layers": [
        {"type": "clipart", "clipart": "couronne", "x": 300, "y": 120, "scale": 0.5},
        {"type": "text", "text": "MA", "font": "Bodoni", "size": 40, "x": 300, "y": 220}
    ]}',
    '00000000-0000-4000-8000-0000000000a1/designs/monogramme-ceinture.png',
    now() - interval '20 days'
),
(
    '00000000-0000-4000-8000-000000000304',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000204',
    '00000000-0000-4000-8000-000000000002',
    'Bandeau fleuri (collection terminée)',
    'archived',
    '{"canvas": {"width": 900, "height": 300}, "layers": []}',
    null,
    now() - interval '120 days'
),
(
    '00000000-0000-4000-8000-000000000311',
    '00000000-0000-4000-8000-0000000000a2',
    '00000000-0000-4000-8000-000000000211',
    '00000000-0000-4000-8000-000000000007',
    'Lykta, gravure « Hemma »',
    'completed',
    '{"canvas": {"width": 600, "height": 200}, "layers": [
        {"type": "text", "text": "Hemma", "font": "Futura", "size": 32, "x": 300, "y": 100}
    ]}',
    '00000000-0000-4000-8000-0000000000a2/designs/lykta-hemma.png',
    now() - interval '4 days'
)
on conflict (id) do nothing;

-- second saves: a gold colour and a larger size for the initials, the monogram moved up
update public.designs as d
set data = jsonb_set(d.data, '{layers,0}', d.data #> '{layers,0}' || '{"size": 56, "colour": "#c9a24a"}')
where d.id = '00000000-0000-4000-8000-000000000301' and d.current_version = 1;

update public.designs as d
set data = jsonb_set(d.data, '{layers,0,y}', '100')
where d.id = '00000000-0000-4000-8000-000000000303' and d.current_version = 1;

-- the versions' author and time: the trigger wrote auth.uid() (null here) and now(); the seed
-- dates version n of a design n - 1 days after the design was made
update public.design_versions as v
set
    created_by = d.created_by,
    created_at = d.created_at + (v.version - 1) * interval '1 day'
from public.designs as d
where
    d.id = v.design_id
    and v.created_by is null
    and d.id in (
        '00000000-0000-4000-8000-000000000301',
        '00000000-0000-4000-8000-000000000302',
        '00000000-0000-4000-8000-000000000303',
        '00000000-0000-4000-8000-000000000304',
        '00000000-0000-4000-8000-000000000311'
    );

insert into public.design_collections (id, organization_id, name, description, created_by)
values (
    '00000000-0000-4000-8000-000000000401',
    '00000000-0000-4000-8000-0000000000a1',
    'Coffrets des fêtes 2026',
    'Les personnalisations proposées en boutique pour les fêtes.',
    '00000000-0000-4000-8000-000000000002'
)
on conflict (id) do nothing;

insert into public.design_collection_items (organization_id, collection_id, design_id, added_by)
values
(
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000401',
    '00000000-0000-4000-8000-000000000301',
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000401',
    '00000000-0000-4000-8000-000000000303',
    '00000000-0000-4000-8000-000000000001'
)
on conflict do nothing;

-- == the template gallery ========================================================================

insert into public.templates (
    id,
    organization_id,
    name,
    description,
    category,
    tags,
    is_premium,
    is_published,
    data,
    thumbnail,
    view_count,
    download_count,
    created_by
)
values
(
    '00000000-0000-4000-8000-000000000501',
    '00000000-0000-4000-8000-0000000000a1',
    'Monogramme classique',
    'Deux ou trois initiales entrelacées, en Didot.',
    'monogrammes',
    '{initiales, classique}',
    false,
    true,
    '{"layers": [{"type": "text", "text": "ABC", "font": "Didot", "size": 48}]}',
    '00000000-0000-4000-8000-0000000000a1/templates/monogramme-classique.png',
    1240,
    312,
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-000000000502',
    '00000000-0000-4000-8000-0000000000a1',
    'Armoiries',
    'Un écu et sa couronne, pour les pièces de maroquinerie.',
    'héraldique',
    '{couronne, blason, premium}',
    true,
    true,
    '{"layers": [{"type": "clipart", "clipart": "couronne"}, {"type": "text", "text": "AURORE", "font": "Trajan"}]}',
    '00000000-0000-4000-8000-0000000000a1/templates/armoiries.png',
    486,
    57,
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-000000000503',
    '00000000-0000-4000-8000-0000000000a1',
    'Calligraphie anglaise',
    'Une ligne manuscrite pour l''intérieur des bijoux.',
    'gravure',
    '{manuscrit, bijoux, premium}',
    true,
    true,
    '{"layers": [{"type": "text", "text": "Pour toujours", "font": "Snell Roundhand", "size": 36}]}',
    '00000000-0000-4000-8000-0000000000a1/templates/calligraphie.png',
    731,
    140,
    '00000000-0000-4000-8000-000000000001'
),
(
    '00000000-0000-4000-8000-000000000504',
    '00000000-0000-4000-8000-0000000000a1',
    'Motif floral (brouillon)',
    null,
    'motifs',
    '{fleurs}',
    false,
    false,
    '{"layers": []}',
    null,
    0,
    0,
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-000000000511',
    '00000000-0000-4000-8000-0000000000a2',
    'Runor',
    'Initiales en runes, gravées sur le socle.',
    'gravure',
    '{runor, nordisk}',
    false,
    true,
    '{"layers": [{"type": "text", "text": "ᚨᛒ", "font": "Noto Sans Runic", "size": 40}]}',
    '00000000-0000-4000-8000-0000000000a2/templates/runor.png',
    205,
    33,
    '00000000-0000-4000-8000-000000000007'
)
on conflict (id) do nothing;

-- ratings as rate_template() stores them, one per user; the averages follow from them
insert into private.template_ratings (template_id, user_id, stars)
values
('00000000-0000-4000-8000-000000000501', '00000000-0000-4000-8000-000000000005', 5),
('00000000-0000-4000-8000-000000000501', '00000000-0000-4000-8000-000000000004', 4),
('00000000-0000-4000-8000-000000000501', '00000000-0000-4000-8000-000000000007', 5),
('00000000-0000-4000-8000-000000000502', '00000000-0000-4000-8000-000000000005', 4),
('00000000-0000-4000-8000-000000000503', '00000000-0000-4000-8000-000000000004', 5),
('00000000-0000-4000-8000-000000000503', '00000000-0000-4000-8000-000000000007', 3),
('00000000-0000-4000-8000-000000000511', '00000000-0000-4000-8000-000000000001', 4)
on conflict do nothing;

update public.templates as t
set
    rating_count = s.n,
    rating_average = s.average
from (
    select
        r.template_id,
        count(*)::integer as n,
        round(avg(r.stars), 2) as average
    from private.template_ratings as r
    group by r.template_id
) as s
where
    t.id = s.template_id
    and t.organization_id in ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2')
    and (t.rating_count, t.rating_average) is distinct from (s.n, s.average);

-- Theo keeps his own copy of the classic monogram; favourites of Theo and Camille
insert into public.user_templates (id, user_id, template_id, name, data, thumbnail)
values (
    '00000000-0000-4000-8000-000000000921',
    '00000000-0000-4000-8000-000000000005',
    '00000000-0000-4000-8000-000000000501',
    'Mon monogramme T.R.',
    '{"layers": [{"type": "text", "text": "TR", "font": "Didot", "size": 48}]}',
    null
)
on conflict (id) do nothing;

insert into public.template_favorites (user_id, template_id)
values
('00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000501'),
('00000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-000000000503'),
('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000502')
on conflict do nothing;

-- == cliparts ====================================================================================

-- files in the design-assets bucket, under each organisation's folder
insert into public.cliparts (
    id, organization_id, name, category, tags, storage_path, format, is_published, created_by
)
values
(
    '00000000-0000-4000-8000-000000000801',
    '00000000-0000-4000-8000-0000000000a1',
    'Couronne',
    'héraldique',
    '{couronne, royal}',
    '00000000-0000-4000-8000-0000000000a1/cliparts/couronne.svg',
    'svg',
    true,
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-000000000802',
    '00000000-0000-4000-8000-0000000000a1',
    'Étoile polaire',
    'astres',
    '{étoile, nuit}',
    '00000000-0000-4000-8000-0000000000a1/cliparts/etoile-polaire.svg',
    'svg',
    true,
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-000000000803',
    '00000000-0000-4000-8000-0000000000a1',
    'Fleur de lys (à vectoriser)',
    'héraldique',
    '{fleur}',
    '00000000-0000-4000-8000-0000000000a1/cliparts/fleur-de-lys.png',
    'png',
    false,
    '00000000-0000-4000-8000-000000000002'
),
(
    '00000000-0000-4000-8000-000000000811',
    '00000000-0000-4000-8000-0000000000a2',
    'Snöflinga',
    'vinter',
    '{snö, vinter}',
    '00000000-0000-4000-8000-0000000000a2/cliparts/snoflinga.svg',
    'svg',
    true,
    '00000000-0000-4000-8000-000000000007'
)
on conflict (id) do nothing;

-- == AR ==========================================================================================

-- the bangle in the ar-models bucket: GLB for Android and the web, USDZ for iOS AR Quick Look
insert into public.ar_models (id, organization_id, product_id, name, format, storage_path, size_bytes)
values
(
    '00000000-0000-4000-8000-000000000601',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000202',
    'Bracelet jonc vermeil (GLB)',
    'glb',
    '00000000-0000-4000-8000-0000000000a1/jonc-vermeil.glb',
    3355443
),
(
    '00000000-0000-4000-8000-000000000602',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000202',
    'Bracelet jonc vermeil (USDZ)',
    'usdz',
    '00000000-0000-4000-8000-0000000000a1/jonc-vermeil.usdz',
    5033165
)
on conflict (id) do nothing;

-- a public experience (its link is /ar/<slug>, documented in docs/demo.md) and a private preview;
-- slugs are fixed here so the demo link stays the same
insert into public.ar_experiences (
    id, organization_id, ar_model_id, name, slug, qr_url, is_public, views_count, timed_sessions, total_session_seconds
)
values
(
    '00000000-0000-4000-8000-000000000701',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000601',
    'Essayez le jonc gravé',
    '3f9a1c7e5b2d4e8fa6c0d9b1e7f24a53',
    'https://maison-aurore.example/ar/3f9a1c7e5b2d4e8fa6c0d9b1e7f24a53/qr.png',
    true,
    128,
    96,
    4320
),
(
    '00000000-0000-4000-8000-000000000702',
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-000000000602',
    'Jonc gravé, aperçu iOS (interne)',
    '8d2e6b0f4a9c47e1b3f5a7c9e1d30b6f',
    null,
    false,
    0,
    0,
    0
)
on conflict (id) do nothing;
