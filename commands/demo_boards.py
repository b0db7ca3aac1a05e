"""The demo's three sample boards: realistic, fictional, and with names from across the UK."""

from __future__ import annotations

ORGANISATIONS = [
    ("RXR", "Riverside Hospitals NHS Trust", "nhs-trust", "North West"),
    ("RYF", "Fellside Community NHS Foundation Trust", "foundation-trust", "North East and "
     "Yorkshire"),
    ("QWE", "North Moors Integrated Care Board", "icb", "North East and Yorkshire"),
]

# org_code,name,email,role,start_date,end_date,interim,clinically_registered (the three
# registered clinicians: the professional register's FPPT check is theirs)
PEOPLE_CSV = """org_code,name,email,role,start_date,end_date,interim,clinically_registered
RXR,Margaret Okafor,margaret.okafor@riverside.example.nhs.uk,chair,2021-04-01,,no,no
RXR,Daniel Price,daniel.price@riverside.example.nhs.uk,chief-executive,2020-09-01,,no,no
RXR,Priya Shah,priya.shah@riverside.example.nhs.uk,executive-director,2022-01-10,,no,no
RXR,Tom Evans,tom.evans@riverside.example.nhs.uk,executive-director,2023-05-01,,yes,yes
RXR,Grace Mensah,grace.mensah@riverside.example.nhs.uk,executive-director,2019-03-04,,no,no
RXR,Siân Ŵyn ap Gruffydd,sian.apgruffydd@riverside.example.nhs.uk,senior-independent-director,2019-07-01,,no,no
RXR,Zoë Łukasiewicz,zoe.lukasiewicz@riverside.example.nhs.uk,non-executive-director,2022-11-01,,no,no
RXR,Nguyễn Thị Hoa,hoa.nguyen@riverside.example.nhs.uk,non-executive-director,2023-02-01,,no,no
RXR,Alan Whitfield,alan.whitfield@riverside.example.nhs.uk,non-executive-director,2018-01-01,,no,no
RXR,Fatima Hussain,fatima.hussain@riverside.example.nhs.uk,non-executive-director,2024-06-01,,no,no
RXR,Ruth Clarke,ruth.clarke@riverside.example.nhs.uk,company-secretary,2019-01-01,,no,no
RYF,Fiona MacLeod,fiona.macleod@fellside.example.nhs.uk,chair,2020-06-01,,no,no
RYF,Kwame Boateng,kwame.boateng@fellside.example.nhs.uk,chief-executive,2021-01-04,,no,no
RYF,Helen O'Connor,helen.oconnor@fellside.example.nhs.uk,executive-director,2020-10-01,,no,yes
RYF,Rajesh Patel,rajesh.patel@fellside.example.nhs.uk,executive-director,2024-01-08,,no,no
RYF,Chloé Dubois,chloe.dubois@fellside.example.nhs.uk,executive-director,2025-11-03,,no,no
RYF,Eleanor Hughes,eleanor.hughes@fellside.example.nhs.uk,senior-independent-director,2018-09-01,,no,no
RYF,Bartholomew Achterberg-Smythe,bart.achterberg@fellside.example.nhs.uk,non-executive-director,2021-05-01,,no,no
RYF,Aisha Rahman,aisha.rahman@fellside.example.nhs.uk,non-executive-director,2022-04-01,,no,no
RYF,Owen Jones,owen.jones@fellside.example.nhs.uk,non-executive-director,2017-04-01,2025-09-30,no,no
RYF,Oluwaseun Bakare,oluwaseun.bakare@fellside.example.nhs.uk,non-executive-director,2023-10-02,,no,no
RYF,Máiréad Byrne,mairead.byrne@fellside.example.nhs.uk,executive-director,2022-02-14,,no,no
RYF,Samuel Adeyemi,samuel.adeyemi@fellside.example.nhs.uk,company-secretary,2021-02-01,,no,no
QWE,Catherine Bell,catherine.bell@northmoors.example.nhs.uk,chair,2022-07-01,,no,no
QWE,Michael Turner,michael.turner@northmoors.example.nhs.uk,chief-executive,2022-07-01,,no,no
QWE,Sarah Lindqvist,sarah.lindqvist@northmoors.example.nhs.uk,executive-director,2022-07-01,,no,yes
QWE,Imran Qureshi,imran.qureshi@northmoors.example.nhs.uk,executive-director,2023-09-01,,yes,no
QWE,Deborah Fenwick,deborah.fenwick@northmoors.example.nhs.uk,senior-independent-director,2022-07-01,,no,no
QWE,Ngozi Eze,ngozi.eze@northmoors.example.nhs.uk,non-executive-director,2023-01-09,,no,no
QWE,Peter Halloran,peter.halloran@northmoors.example.nhs.uk,non-executive-director,2022-07-01,,no,no
QWE,Tomasz Nowak,tomasz.nowak@northmoors.example.nhs.uk,non-executive-director,2023-04-03,,no,no
QWE,Rhiannon Price,rhiannon.price@northmoors.example.nhs.uk,executive-director,2024-02-05,,no,no
QWE,Joanne Whittaker,joanne.whittaker@northmoors.example.nhs.uk,company-secretary,2022-07-01,,no,no
"""
