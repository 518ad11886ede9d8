-- Tenant-scoped foreign keys: a row can only name a company, contract, service, contract
-- service or document of its own tenant.

ALTER TABLE companies ADD CONSTRAINT companies_tenant_key UNIQUE (tenant_id, id);
ALTER TABLE services ADD CONSTRAINT services_tenant_key UNIQUE (tenant_id, id);
ALTER TABLE contracts ADD CONSTRAINT contracts_tenant_key UNIQUE (tenant_id, id);
ALTER TABLE contract_services ADD CONSTRAINT contract_services_tenant_key UNIQUE (tenant_id, id);
ALTER TABLE documents ADD CONSTRAINT documents_tenant_key UNIQUE (tenant_id, id);

ALTER TABLE companies ADD CONSTRAINT companies_bill_to_id_tenant_fkey FOREIGN KEY (tenant_id, bill_to_id) REFERENCES companies (tenant_id, id);
ALTER TABLE contracts ADD CONSTRAINT contracts_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE contract_services ADD CONSTRAINT contract_services_contract_id_tenant_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id);
ALTER TABLE contract_services ADD CONSTRAINT contract_services_service_id_tenant_fkey FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id);
ALTER TABLE contract_service_terms ADD CONSTRAINT contract_service_terms_contract_service_id_tenant_fkey FOREIGN KEY (tenant_id, contract_service_id) REFERENCES contract_services (tenant_id, id);
ALTER TABLE org_mapping_changes ADD CONSTRAINT org_mapping_changes_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE service_mapping_changes ADD CONSTRAINT service_mapping_changes_contract_id_tenant_fkey FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id);
ALTER TABLE service_mapping_changes ADD CONSTRAINT service_mapping_changes_contract_service_id_tenant_fkey FOREIGN KEY (tenant_id, contract_service_id) REFERENCES contract_services (tenant_id, id);
ALTER TABLE documents ADD CONSTRAINT documents_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE documents ADD CONSTRAINT documents_voids_document_id_tenant_fkey FOREIGN KEY (tenant_id, voids_document_id) REFERENCES documents (tenant_id, id);
ALTER TABLE document_lines ADD CONSTRAINT document_lines_document_id_tenant_fkey FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id);
ALTER TABLE document_lines ADD CONSTRAINT document_lines_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE one_offs ADD CONSTRAINT one_offs_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE payments ADD CONSTRAINT payments_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE payments ADD CONSTRAINT payments_document_id_tenant_fkey FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id);
ALTER TABLE credit_applications ADD CONSTRAINT credit_applications_company_id_tenant_fkey FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id);
ALTER TABLE credit_applications ADD CONSTRAINT credit_applications_document_id_tenant_fkey FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id);
